"""Pure pieces of #15 items 9 and 13: stored dates round-trip, bounded logs keep a marker, not the excess."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from chalicelib.core.limits import MARKER_PREFIX, BoundedText, human_bytes
from chalicelib.store.timefmt import iso, parse_iso


def test_every_year_round_trips_through_the_stored_form_and_sorts_as_it_compares() -> None:
    dates = [datetime(1, 1, 1, tzinfo=UTC), datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
             datetime(1000, 1, 1, tzinfo=UTC), datetime(2024, 2, 29, 12, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
             datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)]
    for value in dates:
        assert parse_iso(iso(value)) == value
    assert sorted(iso(d) for d in dates) == [iso(d) for d in sorted(dates)]


def test_dates_stored_in_the_old_unpadded_form_still_parse() -> None:
    assert parse_iso("1-01-01T00:00:00.000000Z") == datetime(1, 1, 1, tzinfo=UTC)
    assert parse_iso("999-06-01T10:00:00.000000Z") == datetime(999, 6, 1, 10, tzinfo=UTC)


def test_a_bounded_log_keeps_the_first_bytes_counts_the_rest_and_ends_with_the_marker() -> None:
    log = BoundedText(1000)
    for _ in range(300):
        log.write("0123456789")  # 3,000 bytes written
    text = log.getvalue()
    kept, marker = text.split("\n" + MARKER_PREFIX)
    assert kept == "0123456789" * 100
    assert "1000 bytes (LEVANTE_LOG_MAX_BYTES): 2000 more bytes were not kept" in marker
    assert log.truncated and log.dropped == 2000


def test_a_bounded_log_never_splits_a_multibyte_character_and_is_untouched_under_the_limit() -> None:
    log = BoundedText(5)
    log.write("ab€€")  # 2 + 3 + 3 bytes: the second euro sign does not fit whole
    assert log.getvalue().startswith("ab€\n" + MARKER_PREFIX)
    small = BoundedText(100)
    small.write("héllo\n")
    assert small.getvalue() == "héllo\n" and not small.truncated


def test_sizes_are_named_as_people_read_them() -> None:
    assert human_bytes(50 * 1024 * 1024) == "50 MB" and human_bytes(1536) == "1.5 KB" and human_bytes(10) == "10 bytes"


def test_a_tasks_captured_output_is_bounded_while_it_runs(monkeypatch) -> None:
    from chalicelib.runner import logcapture

    monkeypatch.setenv("LEVANTE_LOG_MAX_BYTES", "1000")
    with logcapture.capture() as log:
        for i in range(500):
            print(f"line {i:04d}")  # 5,000 bytes
        print("x" * 3_000_000, end="")  # one line that never ends: flushed in pieces, not held whole
    text = log.getvalue()
    assert text.startswith("line 0000\nline 0001\n")
    assert len(text.encode()) < 1000 + 300 and f"\n{MARKER_PREFIX} 1000 bytes" in text
    assert log._buffer.dropped == 5000 + 3_000_000 - 1000
