"""DAG versions: every stored (spec, source) of a DAG, the bundle it came from, and its source code.

A run names the version it was created with (`dag_version_hash`, `bundle_version` on the run payload);
its tasks run that version even after the DAG changed.
"""

from __future__ import annotations

from chalicelib.api import serializers as out
from chalicelib.api.routing import ApiBlueprint, Request
from chalicelib.api.validation import Query
from chalicelib.store.readers import ApiReader

api = ApiBlueprint(__name__, "DAG")


@api.operation("GET", "/dags/{dag_id}/versions", summary="The DAG's versions, newest first",
               query=(Query("limit", int, 100, 1, 500),), errors=(404,))
def list_dag_versions(req: Request, dag_id: str) -> dict:
    item = ApiReader(req.backend.models).dag_item(dag_id)  # 404 for an unknown DAG
    versions = req.backend.dags.versions(dag_id, limit=req.query["limit"])
    rows = [{"dag_id": dag_id, **v, "is_current": v["spec_hash"] == item.spec_hash and v["source_hash"] == item.source_hash}
            for v in versions]
    return out.page("dag_versions", rows, int(item.version_number or len(rows)))


@api.operation("GET", "/dags/{dag_id}/versions/{version_number}/source", summary="The DAG file of one version",
               errors=(400, 404))
def get_dag_version_source(req: Request, dag_id: str, version_number: str) -> dict:
    from chalicelib.api.errors import BadRequest

    if not version_number.isdecimal():
        raise BadRequest(f"version_number must be a positive integer, not {version_number!r}")
    version = req.backend.dags.version(dag_id, int(version_number))
    content = req.backend.dags.specs.source(version["source_hash"])
    return {"dag_id": dag_id, "version_number": version["version_number"], "fileloc": version["fileloc"],
            "bundle_version": version["bundle_version"], "file_token": version["source_hash"], "content": content or ""}
