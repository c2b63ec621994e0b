"""Issue #16's CORS bug and #15 item 17 in Debian's Chromium against `levante dev`: the dashboard works on
127.0.0.1 as on localhost (its server proxies /api/v1: one origin), and a web page cannot read moto."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.dashboard_harness import DevProcess, ensure_frontend_built, launch_browser

pytestmark = pytest.mark.e2e
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (browser tests)")
expect = sync_api.expect
TEST_DAGS = Path(__file__).parent / "dashboard_dags"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevProcess]:
    ensure_frontend_built()
    work = tmp_path_factory.mktemp("same-origin")
    dags = work / "dags"
    dags.mkdir()
    for path in list(TEST_DAGS.glob("*.py"))[:2]:
        shutil.copy(path, dags / path.name)
    stack = DevProcess(work, dags)
    try:
        yield stack.start()
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def browser(stack: DevProcess) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = launch_browser(playwright)
        yield browser
        browser.close()


def test_the_dashboard_works_on_127_0_0_1_and_localhost_alike(browser: Any, stack: DevProcess) -> None:
    for host in ("127.0.0.1", "localhost"):
        context = browser.new_context()  # the real CSP applies: connect-src 'self'
        page = context.new_page()
        failures: list[str] = []
        page.on("requestfailed", lambda request, failures=failures: failures.append(request.url))
        page.on("console", lambda msg, failures=failures: failures.append(msg.text)
                if msg.type == "error" else None)
        page.goto(f"http://{host}:{stack.ui}/#token={stack.token}")
        expect(page.get_by_test_id("role")).to_contain_text("admin", timeout=30_000)
        expect(page.locator("a[href*='#/dags/']").first).to_be_visible(timeout=90_000)  # the DAG list loaded
        assert not failures, (host, failures)
        context.close()


def test_a_web_page_cannot_read_the_local_aws_endpoint(browser: Any, stack: DevProcess) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"http://localhost:{stack.ui}/config.json")  # any page of another origin than moto's
    outcome = page.evaluate("""async (url) => {
        try {
            const r = await fetch(url, {method: "POST", body: "{}", headers: {
                "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.ListTables"}});
            return "read " + r.status + " " + (await r.text()).slice(0, 200);
        } catch (e) { return "blocked: " + e; }
    }""", f"http://127.0.0.1:{stack.moto}/")
    assert outcome.startswith("blocked"), outcome
    context.close()
