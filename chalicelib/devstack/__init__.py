"""`levante dev`: the whole system on one laptop — moto, API, scheduler, workers and dashboard."""
