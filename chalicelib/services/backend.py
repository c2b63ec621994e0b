"""The adapters one process talks to, built lazily from Settings (no AWS client exists before first use)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from chalicelib.store.blobs import BlobStore
from chalicelib.store.dags import DagRepository
from chalicelib.store.models import Models, build_models
from chalicelib.store.runs import RunRepository
from chalicelib.store.secrets import SecretsStore
from chalicelib.store.settings import Settings
from chalicelib.taskqueue import SqsTaskQueue, TaskQueue

if TYPE_CHECKING:
    from chalicelib.services.secret_values import StoreMasker


@dataclass
class Backend:
    settings: Settings = field(default_factory=Settings.from_env)
    queue_override: TaskQueue | None = None

    @cached_property
    def models(self) -> Models:
        return build_models(self.settings)

    @cached_property
    def dags(self) -> DagRepository:
        return DagRepository(self.models, self.blobs, paused_ttl=self.settings.paused_cache_seconds)

    @cached_property
    def runs(self) -> RunRepository:
        return RunRepository(self.models)

    @cached_property
    def blobs(self) -> BlobStore:
        return BlobStore(self.settings)

    @cached_property
    def sqs(self) -> SqsTaskQueue:
        return SqsTaskQueue(self.settings)

    @cached_property
    def queue(self) -> TaskQueue:
        """Where tasks are sent: SQS, or what a test put in its place."""
        return self.queue_override or self.sqs

    @cached_property
    def secrets(self) -> SecretsStore:
        return SecretsStore(self.settings)

    @cached_property
    def response_masker(self) -> StoreMasker:
        from chalicelib.services.secret_values import StoreMasker

        return StoreMasker(self.secrets)
