"""DAG bundles in S3: the DAGs folder as one deterministic zip named by its own hash.

    bundles/<version>.zip    the files (version = first 16 hex of the zip's sha256: content-addressed)
    bundles/<version>.json   its manifest: files with their hashes, size, when it was first published
    bundles/current.json     the version new runs use (the DAG processor's S3 event fires on it)

A version is immutable: publishing the same files again uploads nothing and only moves the pointer.
Workers fetch the version a run was created with into a local cache, verified against the version's
hash, extracted once per warm container (a version never changes, so the cache never goes stale).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from datetime import datetime

from chalicelib.store.blobs import BlobStore
from chalicelib.store.errors import NotFoundError
from chalicelib.store.timefmt import iso

CURRENT_KEY = "bundles/current.json"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip entries carry no real mtime: same files, same bytes, same version


def zip_key(version: str) -> str:
    return f"bundles/{version}.zip"


def manifest_key(version: str) -> str:
    return f"bundles/{version}.json"


def default_cache_root() -> str:
    return os.environ.get("LEVANTE_BUNDLE_CACHE") or os.path.join(tempfile.gettempdir(), "levante-bundles")


@dataclass(frozen=True)
class BundleManifest:
    version: str
    files: dict[str, str]  # relpath -> sha256
    size: int  # bytes of the zip
    created_at: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> BundleManifest:
        data = json.loads(text)
        return cls(str(data["version"]), dict(data["files"]), int(data["size"]), str(data["created_at"]))


def build_zip(files: list[tuple[str, bytes]]) -> tuple[str, bytes, dict[str, str]]:
    """(version, zip bytes, relpath -> sha256) of `files`; the same files always give the same bytes."""
    buffer = io.BytesIO()
    hashes = {}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for relpath, data in sorted(files):
            info = zipfile.ZipInfo(relpath, _FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
            hashes[relpath] = hashlib.sha256(data).hexdigest()
    data = buffer.getvalue()
    return hashlib.sha256(data).hexdigest()[:16], data, hashes


class BundleStore:
    def __init__(self, blobs: BlobStore, cache_root: str | None = None):
        self.blobs = blobs
        self.cache_root = cache_root or default_cache_root()

    def publish(self, files: list[tuple[str, bytes]], now: datetime) -> tuple[BundleManifest, bool]:
        """Upload the bundle unless that version exists, then point `current` at it; (manifest, uploaded)."""
        version, data, hashes = build_zip(files)
        existing = self.manifest(version)
        uploaded = existing is None
        if uploaded:
            self.blobs.put_bytes(zip_key(version), data, "application/zip")
            existing = BundleManifest(version, hashes, len(data), iso(now))
            self.blobs.put_text(manifest_key(version), existing.to_json(), "application/json")
        self.blobs.put_text(CURRENT_KEY, existing.to_json(), "application/json")  # last: the processor's trigger
        return existing, uploaded

    def current(self) -> BundleManifest | None:
        text = self.blobs.get_text(CURRENT_KEY)
        return BundleManifest.from_json(text) if text else None

    def manifest(self, version: str) -> BundleManifest | None:
        text = self.blobs.get_text(manifest_key(version))
        return BundleManifest.from_json(text) if text else None

    def file(self, version: str, relpath: str) -> str | None:
        """One file of a version, read from the local copy (fetched if needed)."""
        path = os.path.join(self.fetch(version), relpath)
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except (FileNotFoundError, IsADirectoryError):
            return None

    def fetch(self, version: str) -> str:
        """The local folder holding `version`, downloaded and verified on first use in this container."""
        target = os.path.join(self.cache_root, version)
        if os.path.isdir(target):
            return target
        data = self.blobs.get_bytes(zip_key(version))
        if data is None:
            raise NotFoundError(f"DAG bundle {version} not found in s3://{self.blobs.settings.bucket}/{zip_key(version)}")
        actual = hashlib.sha256(data).hexdigest()[:16]
        if actual != version:
            raise ValueError(f"DAG bundle {version} is corrupt: its content hashes to {actual}")
        os.makedirs(self.cache_root, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=f".{version}-", dir=self.cache_root)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.extractall(staging)  # extractall drops absolute paths and ".." components
        try:
            os.rename(staging, target)  # atomic: a concurrent fetch of the same version wins or loses whole
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
        return target
