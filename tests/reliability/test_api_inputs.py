"""#15 items 9-12: input at the edge. Every bad id, date, number or string is a 400 naming the problem,
nothing of it is stored, and values stored before the rules existed never break a reader.

Black-box through the HTTP interface (chalice's test client) against moto.
"""

from __future__ import annotations

import json
from datetime import datetime

from tests.api.conftest import Api, run_path

RUNS = "/dags/flaky/dagRuns"


def strict_json(text: str) -> object:
    """What a browser's JSON.parse accepts: no NaN/Infinity."""
    def refuse(name: str) -> object:
        raise AssertionError(f"{name} is not JSON")
    return json.loads(text, parse_constant=refuse)


def assert_refused(reply, *words: str) -> None:
    assert reply.status == 400, reply
    assert set(reply.json) == {"error", "detail"} and reply.json["error"] == "bad_request", reply
    for word in words:
        assert word in reply.json["detail"], reply


def run_count(api: Api) -> int:
    return api.get(RUNS).json["total_entries"]


BAD_RUN_IDS = [
    "a/b", "..", "x..y", "line\nbreak", "nul\x00", "rtl\u202eevil", "tab\tid", "sp ace", "hash#id", "back\\slash",
    "é-accent", "scheduled__2030-01-01T00:00:00+00:00", "backfill__2030-01-01T00:00:00+00:00",
    "asset_triggered__x", "x" * 251, "",
]


def test_run_ids_follow_airflows_pattern_and_cannot_take_reserved_prefixes(api: Api) -> None:
    for run_id in BAD_RUN_IDS:
        assert_refused(api.post(RUNS, {"dag_run_id": run_id}), "dag_run_id")
    assert run_count(api) == 0
    run_id = "Run_1.2~3:4+5-6"  # every character the pattern allows
    reply = api.post(RUNS, {"dag_run_id": run_id})
    assert reply.status == 200, reply
    assert api.get(run_path("flaky", run_id)).json["dag_run_id"] == run_id
    doc = api.get("/openapi.json", role="viewer").json
    body = doc["paths"]["/dags/{dag_id}/dagRuns"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["dag_run_id"]["pattern"] == "^[A-Za-z0-9_.~:+-]+$"


BAD_DATES = [
    ("0001-01-01T00:00:00+00:00", ("1000",)),
    ("0999-12-31T00:00:00+00:00", ("1000",)),
    ("9999-12-31T23:00:00-05:00", ("out of range",)),  # overflows once converted to UTC
    ("0001-01-01T00:00:00+05:00", ("out of range",)),
    ("10000-01-01T00:00:00+00:00", ("4-digit",)),
    ("1-01-01T00:00:00+00:00", ("4-digit",)),
    ("2024-01-01T00:00:00", ("timezone",)),
    ("2024-02-30T00:00:00+00:00", ("ISO 8601",)),
]


def test_dates_need_four_digit_years_and_must_not_overflow_with_their_offset(api: Api) -> None:
    for logical_date, words in BAD_DATES:
        assert_refused(api.post(RUNS, {"logical_date": logical_date}), "logical_date", *words)
    assert run_count(api) == 0
    # The last day of the calendar is accepted and every later computation copes with it.
    assert api.post("/dags/pipeline/dagRuns", {"logical_date": "9999-12-31T12:00:00+00:00"}).status == 200
    api.stack.tick()
    for date in ("1000-01-01T00:00:00+00:00", "2024-02-29T23:59:59.999999+00:00", "9000-06-01T00:00:00-09:30"):
        run_id = "d_" + date[:4]
        assert api.post(RUNS, {"dag_run_id": run_id, "logical_date": date}).status == 200
        stored = api.get(run_path("flaky", run_id)).json["logical_date"]  # stored, read back, equal
        assert datetime.fromisoformat(stored) == datetime.fromisoformat(date)


NON_FINITE = ['{"conf": {"x": 1e400}}', '{"conf": {"x": -1e400}}', '{"conf": {"x": [1, 2, 1E999]}}',
              '{"conf": {"x": NaN}}', '{"conf": {"x": Infinity}}']
SURROGATES = [
    (RUNS, '{"conf": {"\\ud800": 1}}', "conf"),
    (RUNS, '{"conf": {"k": ["ok", "\\udfff"]}}', "conf"),
    (RUNS, '{"note": "lone \\ud83d surrogate"}', "note"),
    (RUNS, '{"dag_run_id": "id\\ud800"}', "dag_run_id"),
    ("/variables", '{"key": "k", "value": "v\\udc00"}', "value"),
    ("/variables", '{"key": "k\\ud800", "value": "v"}', "key"),
]


def test_numbers_must_be_finite_and_strings_valid_unicode(api: Api) -> None:
    for raw in NON_FINITE:
        reply = api.call("POST", RUNS, raw=raw)
        assert reply.status == 400 and reply.json["error"] == "bad_request", (raw, reply)
    for path, raw, field in SURROGATES:
        assert_refused(api.call("POST", path, raw=raw), field)
    assert run_count(api) == 0 and api.get("/variables").json["total_entries"] == 0

    assert_refused(api.post("/variables", {"key": "evil\u202ekey", "value": "v"}))
    assert_refused(api.post("/variables", {"key": "nul\x00", "value": "v"}))
    assert api.post("/variables", {"key": "multi", "value": "line one\nline two\ttabbed"}).status == 200
    assert api.post(RUNS, {"note": "a note\nover two lines"}).status == 200
    conf = {"名前": "データ 😀", "big": 2**62, "small": 1e-300, "neg": -1.5e300}
    reply = api.post(RUNS, {"dag_run_id": "unicode_ok", "conf": conf, "note": "naïve — ünïcode 😀"})
    assert reply.status == 200, reply
    got = strict_json(api.get(run_path("flaky", "unicode_ok")).text)
    assert got["conf"] == conf and got["note"] == "naïve — ünïcode 😀"


def test_values_stored_before_validation_never_break_readers(api: Api) -> None:
    """A year-1 date in the old unpadded form, Infinity and a lone surrogate in conf: every reader still works."""
    backend = api.stack.backend
    DagRun = backend.models.DagRun
    legacy = DagRun("flaky", "legacy", run_key="flaky#legacy", date_key="1-01-01T00:00:00.000000Z#legacy",
                    state="running", run_type="manual", logical_date="1-01-01T00:00:00.000000Z",
                    run_after="1-01-01T00:00:00.000000Z", data_interval_start="1-01-01T00:00:00.000000Z",
                    data_interval_end="1-01-01T00:00:00.000000Z", conf='{"x": Infinity, "\\ud800": 1}',
                    start_date="2024-01-01T00:00:00.000000Z", created_at="2024-01-01T00:00:00.000000Z", active="1")
    legacy.save()

    listing = api.get(RUNS)
    assert listing.status == 200, listing
    runs = strict_json(listing.text)["dag_runs"]
    [row] = [r for r in runs if r["dag_run_id"] == "legacy"]
    assert row["logical_date"].startswith("0001-01-01") and row["conf"]["x"] is None
    assert api.get(run_path("flaky", "legacy")).status == 200
    assert api.get("/dags/flaky/grid").status == 200  # the dashboard grid reads the same run

    api.stack.tick()  # the scheduler reads every active run: it must not fail on this one
    assert api.delete(run_path("flaky", "legacy")).status == 204
    assert api.get(run_path("flaky", "legacy")).status == 404


CHALICE_ERRORS = [
    ("POST", {"Content-Type": "text/plain"}, "{}", 415, "unsupported_media_type"),
    ("PUT", {}, None, 405, "method_not_allowed"),
    ("POST", {}, '{"conf": ', 400, "bad_request"),
    ("POST", {}, "[1, 2]", 400, "bad_request"),
    ("POST", {}, '{"conf": {"a": 1}, "conf": ', 400, "bad_request"),
]


def test_errors_chalice_answers_itself_use_the_documented_shape(api: Api) -> None:
    for method, headers, raw, status, error in CHALICE_ERRORS:
        path = "/dags/flaky" if method == "PUT" else RUNS
        reply = api.call(method, path, headers=headers, raw=raw)
        assert reply.status == status, reply
        assert reply.json == {"error": error, "detail": reply.json["detail"]} and reply.json["detail"], reply
        assert reply.headers["content-type"] == "application/json"

    reply = api.get(run_path("flaky", "r" * 2000))
    assert reply.status == 400 and reply.json["error"] == "bad_request", reply
