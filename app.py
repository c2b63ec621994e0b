"""Chalice wiring only: routes, the scheduler timer and the SQS worker are registered here.

The REST API, the scheduler tick and the worker land with their issues; until then only health is served.
"""

from chalice import Chalice

app = Chalice(app_name="levante")
API = "/api/v1"


@app.route(f"{API}/health", methods=["GET"], cors=False)
def health() -> dict:
    return {"status": "ok"}
