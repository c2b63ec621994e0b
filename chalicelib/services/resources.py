"""`levante init` as a service: provision what a Backend names (store/provisioning.py makes the AWS calls)."""

from __future__ import annotations

from chalicelib.services.backend import Backend
from chalicelib.store.provisioning import InitReport, provision


def init_resources(backend: Backend) -> InitReport:
    return provision(backend.models, backend.settings)
