"""Serialized DAGs and DAG sources of any size: inline on the DAG item when small, else in S3 behind a pointer.

Every version of a spec is also kept in S3 under its hash (immutable), so a run created with an older
version keeps planning with that version after the DAG changed. Being immutable, versions are cached
per process without invalidation.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from chalicelib.core.bounds import INLINE_SOURCE_LIMIT, INLINE_SPEC_LIMIT
from chalicelib.core.spec import DagSpec
from chalicelib.store.blobs import BlobStore, dag_source_key, dag_spec_key
from chalicelib.store.errors import NotFoundError

_VERSIONS: dict[tuple[str, str, str], DagSpec] = {}  # (bucket, dag_id, spec_hash) -> spec; immutable


@dataclass(frozen=True)
class EncodedSpec:
    spec_hash: str
    inline: str | None  # the JSON, when it fits on the item
    ref: str  # the S3 key of this version (always written)


def spec_json(spec: DagSpec) -> str:
    return json.dumps(spec.to_dict(), separators=(",", ":"), sort_keys=True)


def spec_hash_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class SpecStore:
    def __init__(self, blobs: BlobStore):
        self.blobs = blobs

    def save(self, spec: DagSpec) -> EncodedSpec:
        text = spec_json(spec)
        digest = spec_hash_of(text)
        ref = dag_spec_key(spec.dag_id, digest)
        self.blobs.put_text(ref, text, "application/json")
        _VERSIONS[(self.blobs.settings.bucket, spec.dag_id, digest)] = spec
        return EncodedSpec(digest, text if len(text.encode()) <= INLINE_SPEC_LIMIT else None, ref)

    def save_source(self, source: str, source_hash: str) -> tuple[str | None, str | None]:
        """(inline text, S3 key): large sources live in S3 only; small ones on the item and in S3."""
        ref = dag_source_key(source_hash)
        self.blobs.put_text(ref, source, "text/x-python; charset=utf-8")
        return (source if len(source.encode()) <= INLINE_SOURCE_LIMIT else None), ref

    def of_item(self, item: Any) -> DagSpec:
        if item.spec:
            return DagSpec.from_dict(json.loads(item.spec))
        if item.spec_hash:
            return self.version(item.dag_id, item.spec_hash)
        raise NotFoundError(f"DAG {item.dag_id!r} has no stored spec")

    def version(self, dag_id: str, spec_hash: str) -> DagSpec:
        key = (self.blobs.settings.bucket, dag_id, spec_hash)
        if key not in _VERSIONS:
            text = self.blobs.get_text(dag_spec_key(dag_id, spec_hash))
            if text is None:
                raise NotFoundError(f"version {spec_hash[:12]} of DAG {dag_id!r} not found")
            _VERSIONS[key] = DagSpec.from_dict(json.loads(text))
        return _VERSIONS[key]

    def source_of_item(self, item: Any) -> str:
        if item.source is not None:
            return item.source
        return (self.blobs.get_text(item.source_ref) or "") if item.source_ref else ""

    def source(self, source_hash: str) -> str | None:
        return self.blobs.get_text(dag_source_key(source_hash))
