"""A running try's log, published while it runs: the supervisor's `on_log` callback re-writes the try's log
object whenever the log grew and the flush interval has passed.

The whole log so far is written each time (one S3 PUT), so readers keep using one object per try and their
byte offsets stay valid: the log only grows. To keep a chatty task's cost bounded, the interval grows with
the log's size (one more interval per MiB), so a 50 MiB log is re-written about once every 2.5 minutes at
the default 3 s. The final write after the try ends is the worker's, as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from chalicelib.store.blobs import BlobStore

log = logging.getLogger("levante.worker")

_MIB = 1024 * 1024


class LiveLog:
    def __init__(self, blobs: BlobStore, key: str, interval: float, clock: Callable[[], float] = time.monotonic):
        self.blobs, self.key, self.interval, self.clock = blobs, key, interval, clock
        self.published_size = 0
        # The first write waits one interval too: a try shorter than that is never published while it runs,
        # and its small log can stay off S3 altogether (Settings.log_inline_bytes).
        self.published_at: float = clock()

    def __call__(self, supervised) -> None:
        text = supervised.log
        if self.interval <= 0 or len(text) == self.published_size:
            return
        now = self.clock()
        wait = self.interval * (1 + len(text) // _MIB)
        if now - self.published_at < wait:
            return
        try:
            self.blobs.put_log(self.key, text)
        except Exception:  # noqa: BLE001 - a missed live flush is retried at the next one; the final write counts
            log.warning("could not publish the running log of %s", self.key, exc_info=True)
            return
        self.published_size, self.published_at = len(text), now

    @property
    def published(self) -> bool:
        return self.published_size > 0
