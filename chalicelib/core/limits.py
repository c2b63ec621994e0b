"""Size limits on what a task produces: its log and its XComs. Pure: the numbers come from Settings.

A log over the limit keeps its first `limit` bytes and ends with one marker line saying so; the rest is
counted, never held. An XCom over the limit fails its task with an error naming the limit and the
setting, so the user sees why in the try's error instead of a worker crash.
"""

from __future__ import annotations

MARKER_PREFIX = "[levante] log truncated at"
MARKER_ROOM = 300  # bytes the marker line may add past the limit
DEFAULT_LOG_MAX_BYTES = 50 * 1024 * 1024  # LEVANTE_LOG_MAX_BYTES
DEFAULT_XCOM_MAX_BYTES = 10 * 1024 * 1024  # LEVANTE_XCOM_MAX_BYTES


def human_bytes(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


def truncation_marker(limit: int, dropped: int) -> str:
    return (f"\n{MARKER_PREFIX} {human_bytes(limit)} (LEVANTE_LOG_MAX_BYTES): "
            f"{dropped} more bytes were not kept\n")


class XComTooLarge(ValueError):
    """Raised inside the task's try, so it becomes the task's error."""

    def __init__(self, task_id: str, key: str, size: int, limit: int):
        super().__init__(f"XCom {key!r} of task {task_id!r} is {human_bytes(size)} ({size} bytes) as JSON, over "
                         f"the limit of {human_bytes(limit)} (LEVANTE_XCOM_MAX_BYTES); store big data in S3 and "
                         "push its location instead")


class BoundedText:
    """A text buffer that keeps at most `limit` UTF-8 bytes, then only counts what it drops.

    The worker writes a try's output through one of these, so a task printing 200 MB costs `limit`
    bytes of memory; `getvalue()` ends with the marker line when anything was dropped.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self._parts: list[str] = []
        self._kept = 0
        self.dropped = 0

    def write(self, text: str) -> int:
        if self.dropped:
            self.dropped += len(text.encode("utf-8"))
            return len(text)
        data = text.encode("utf-8")
        room = self.limit - self._kept
        if len(data) <= room:
            self._parts.append(text)
            self._kept += len(data)
        else:
            self._parts.append(data[:room].decode("utf-8", errors="ignore"))
            self._kept = self.limit
            self.dropped = len(data) - room
        return len(text)

    @property
    def truncated(self) -> bool:
        return self.dropped > 0

    def getvalue(self) -> str:
        text = "".join(self._parts)
        return text + truncation_marker(self.limit, self.dropped) if self.dropped else text
