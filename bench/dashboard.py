"""Dashboard benchmark: the DAG list of 1,000 DAGs on `levante dev`, API and browser time apart, plus the
production bundle size (gzip).

Starts `levante dev` (its own moto server, scheduler, workers and UI server) on free ports with one file
that defines 1,000 DAGs, waits until they are synced (the time from the stack's start to the DAG processor's
report of its first sync is printed as `first_sync_s`), then:
  - API: GET /api/v1/dags?limit=L through the UI server's same-origin proxy, p50/p95 of N calls;
  - browser (Debian's Chromium via Playwright): navigation to #/?limit=L, time until the list's L rows
    are rendered (performance marks set by the dashboard: `dag-list-data` when the API answered,
    `dag-list-rendered` after the rows), best and median of N reloads.
  for L = 25 (the dashboard's default page) and 100 (its largest).
Target (issue #16): rendered < 1 s after navigation; bundle < 300 KB gzip.
Usage: .venv/bin/python bench/dashboard.py [--reloads 5] [--requests 20]
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.devstack.dev_process import DevProcess, build_frontend, launch_chromium  # noqa: E402

MANY_DAGS = (ROOT / "bench" / "dags" / "bulk_1000.py").read_text()


def bundle_kb(dist: Path) -> float:
    files = [*(dist / "assets").iterdir(), dist / "index.html"]
    return sum(len(gzip.compress(p.read_bytes(), 9)) for p in files) / 1024


def api_times(stack: DevProcess, requests: int, limit: int) -> list[float]:
    times = []
    for _ in range(requests):
        request = urllib.request.Request(f"{stack.url}/api/v1/dags?limit={limit}",
                                         headers={"Authorization": f"Bearer {stack.token}"})
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        times.append((time.perf_counter() - started) * 1000)
    return times


def browser_times(stack: DevProcess, reloads: int, limit: int) -> list[dict[str, float]]:
    from playwright.sync_api import expect, sync_playwright

    out = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{stack.url}/#token={stack.token}")
        expect(page.get_by_test_id("role")).to_contain_text("admin", timeout=30_000)
        page.goto(f"{stack.url}/#/?limit={limit}")
        for _ in range(reloads):
            page.reload()
            expect(page.locator("table.dags tbody tr")).to_have_count(limit, timeout=60_000)
            # Let the page's follow-up requests (/dagStats, /importErrors, /whoami) finish before the next
            # navigation, so each one is measured from an idle page rather than behind the last one's work.
            page.wait_for_load_state("networkidle")
            out.append(page.evaluate("""() => ({
                rendered: performance.getEntriesByName('dag-list-rendered')[0].startTime,
                data: performance.getEntriesByName('dag-list-data')[0].startTime,
                dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd})"""))
        browser.close()
    return out


def summary(api: list[float], pages: list[dict[str, float]]) -> dict[str, object]:
    rendered = [p["rendered"] for p in pages]
    in_browser = [p["rendered"] - p["data"] for p in pages]
    return {
        "api_ms": {"p50": round(statistics.median(api)), "p95": round(sorted(api)[int(0.95 * (len(api) - 1))])},
        "list_rendered_after_navigation_ms": {"best": round(min(rendered)), "median": round(statistics.median(rendered))},
        "browser_time_after_api_answered_ms": {"median": round(statistics.median(in_browser))},
        "dom_content_loaded_ms": {"median": round(statistics.median(p["dcl"] for p in pages))},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reloads", type=int, default=5)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    dist = build_frontend()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "dags").mkdir()
        (work / "dags" / "bulk.py").write_text(MANY_DAGS)
        stack = DevProcess(work, work / "dags").start(timeout=300)
        try:
            started = time.monotonic()
            stack.wait_for_first_sync(1000, timeout=600)
            result: dict[str, object] = {"first_sync_s": round(time.monotonic() - started, 1),
                                         "bundle_gzip_kb": round(bundle_kb(dist), 1)}
            for limit in (25, 100):
                result[f"limit_{limit}"] = summary(api_times(stack, args.requests, limit),
                                                   browser_times(stack, args.reloads, limit))
        finally:
            stack.stop()
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "dashboard.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
