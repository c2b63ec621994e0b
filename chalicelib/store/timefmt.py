"""Fixed-width ISO 8601 UTC strings: stored timestamps sort lexicographically as they compare.

`iso` pads every field itself: `strftime("%Y")` writes year 1 as "1" on Linux, a string that
`fromisoformat` cannot read back (one such date once failed every scheduler tick). `parse_iso` still
reads those unpadded years, so values stored before the fix never break a reader.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_SHORT_YEAR = re.compile(r"^(\d{1,3})-")


def iso(value: datetime) -> str:
    v = value.astimezone(UTC)
    return (f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
            f".{v.microsecond:06d}Z")


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.replace("Z", "+00:00")
    short = _SHORT_YEAR.match(text)
    if short:  # written by the old strftime form: "1-01-01T..." means year 0001
        text = f"{int(short.group(1)):04d}-{text[short.end():]}"
    return datetime.fromisoformat(text)
