"""The dashboard in a real browser (Debian's Chromium via Playwright) against the real local stack.

One `levante dev` per module, with the example DAGs plus three test DAGs (params, a task that fails until
a marker file exists, markup in docs/description/log). Screenshots of each view go to tests/e2e/artifacts/.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from tests.e2e.dashboard_harness import ROOT, DevProcess, ensure_frontend_built, launch_browser, screenshot

pytestmark = pytest.mark.e2e
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (browser tests)")
expect = sync_api.expect
TEST_DAGS = Path(__file__).parent / "dashboard_dags"
SLOW = 60_000  # ms: a run goes through scheduler, SQS and workers


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevProcess]:
    ensure_frontend_built()
    work = tmp_path_factory.mktemp("dashboard")
    dags = work / "dags"
    shutil.copytree(ROOT / "dags", dags)
    for path in TEST_DAGS.glob("*.py"):
        shutil.copy(path, dags / path.name)
    stack = DevProcess(work, dags, {"LEVANTE_UI_TEST_MARKER": str(work / "marker")})
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


@pytest.fixture
def page(browser: Any, stack: DevProcess) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
    page.on("console", lambda m: m.type == "error" and "Content Security Policy" in m.text and page.problems.append(m.text))
    page.goto(f"{stack.url}/#token={stack.token}")
    expect(page.locator("table.dags tbody tr").first).to_be_visible(timeout=30_000)
    yield page
    assert not page.problems, page.problems
    context.close()


def open_dag(page: Any, stack: DevProcess, dag_id: str, **query: str) -> None:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    page.goto(f"{stack.url}/#/dags/{dag_id}{'?' + qs if qs else ''}")
    expect(page.locator(".dag-title")).to_have_text(dag_id)


def test_sign_in_link_stores_token_strips_it_and_shows_role(page: Any) -> None:
    assert "token=" not in page.url
    assert page.evaluate("sessionStorage.getItem('levante.token')") == "e2e-dashboard-admin-token"
    expect(page.get_by_test_id("role")).to_contain_text("admin")
    expect(page.locator("tr[data-dag-id=example_taskflow_etl]")).to_be_visible()
    screenshot(page, "01-dag-list")


def test_filter_by_tag_and_search(page: Any) -> None:
    page.locator("tr[data-dag-id=ui_params] button.tag", has_text="ui-test").click()
    expect(page.locator("table.dags tbody tr")).to_have_count(2)  # ui_params, ui_flaky
    assert "tags=ui-test" in page.url
    screenshot(page, "02-dag-list-tag-filter")
    page.locator("button.tag.removable").click()
    page.get_by_label("Search DAGs").fill("branching")
    expect(page.locator("table.dags tbody tr")).to_have_count(1)
    expect(page.locator("tr[data-dag-id=example_branching]")).to_be_visible()


def test_pause_and_unpause_from_the_list(page: Any, stack: DevProcess) -> None:
    toggle = page.locator("tr[data-dag-id=example_sensor] [role=switch]")
    start = toggle.get_attribute("aria-checked")
    toggle.click()
    expect(toggle).not_to_have_attribute("aria-checked", start)
    assert stack.api("GET", "/dags/example_sensor")["is_paused"] is (start == "true")
    toggle.click()
    expect(toggle).to_have_attribute("aria-checked", start)
    assert stack.api("GET", "/dags/example_sensor")["is_paused"] is (start != "true")


def test_trigger_with_params_then_grid_graph_code_and_log(page: Any, stack: DevProcess) -> None:
    open_dag(page, stack, "ui_params")
    page.get_by_test_id("trigger").click()
    form = page.locator("form.trigger-form")
    form.locator("input[name=count]").fill("3")
    form.locator("select[name=mode]").select_option(label="slow")
    form.locator("input[name=greeting]").fill("bonjour")
    screenshot(page, "03-trigger-form")
    form.get_by_role("button", name="Trigger").click()
    expect(page).to_have_url(re.compile(r"run=manual"), timeout=10_000)
    run_id = unquote(page.url.split("run=")[1].split("&")[0])
    run_bar = page.locator("button.run-bar").last
    expect(run_bar).to_have_attribute("data-state", "success", timeout=SLOW)
    expect(page.locator("button.square[data-task=greet]").last).to_have_attribute("data-state", "success")
    expect(page.locator("button.square[data-task=done]").last).to_have_attribute("data-state", "success")
    screenshot(page, "04-grid-green")
    runs = stack.api("GET", "/dags/ui_params/dagRuns")["dag_runs"]
    assert runs[0]["conf"] == {"greeting": "bonjour", "count": 3, "mode": "slow"}, runs[0]

    page.get_by_role("tab", name="Graph").click()
    expect(page.locator("g.node[data-task=greet]")).to_have_attribute("data-state", "success", timeout=10_000)
    screenshot(page, "05-graph")
    page.get_by_role("tab", name="Code").click()
    expect(page.locator("pre.code")).to_contain_text('dag_id="ui_params"')
    screenshot(page, "06-code")
    page.get_by_role("tab", name="Runs").click()
    expect(page.locator(f"tr[data-run='{run_id}']")).to_contain_text('"count":3')
    screenshot(page, "07-runs")
    page.get_by_role("tab", name="Details").click()
    expect(page.locator(".details")).to_contain_text("greeting")

    page.get_by_role("tab", name="Grid").click()
    page.locator("button.square[data-task=greet]").last.click()
    expect(page.get_by_test_id("log-text")).to_contain_text("GREETING=bonjour COUNT=3 MODE=slow", timeout=15_000)
    expect(page.locator(".xcoms")).to_contain_text("3")
    screenshot(page, "08-task-log")


def test_clear_a_failed_task_and_see_it_rerun(page: Any, stack: DevProcess) -> None:
    run = stack.api("POST", "/dags/ui_flaky/dagRuns", {"dag_run_id": "ui_flaky_1"})
    open_dag(page, stack, "ui_flaky", run=run["dag_run_id"])
    flaky = page.locator("button.square[data-task=flaky][data-run=ui_flaky_1]")
    expect(flaky).to_have_attribute("data-state", "failed", timeout=SLOW)
    expect(page.locator("button.square[data-task=after][data-run=ui_flaky_1]")).to_have_attribute(
        "data-state", "upstream_failed")
    (stack.work / "marker").write_text("ok")
    flaky.click()
    expect(page.get_by_test_id("log-text")).to_contain_text("failing on purpose", timeout=15_000)
    screenshot(page, "09-failed-task")
    page.get_by_role("button", name="Clear", exact=True).click()
    expect(page.locator(".confirm")).to_contain_text("after")  # the dry run lists the downstream task
    page.get_by_role("button", name="Confirm clear").click()
    expect(flaky).to_have_attribute("data-state", "success", timeout=SLOW)
    expect(page.locator("button.square[data-task=after][data-run=ui_flaky_1]")).to_have_attribute(
        "data-state", "success", timeout=SLOW)
    expect(page.locator(".tries button")).to_have_count(2)
    expect(page.get_by_test_id("log-text")).to_contain_text("marker found", timeout=15_000)
    screenshot(page, "10-cleared-and-rerun")


def test_monitoring_page_updates(page: Any, stack: DevProcess) -> None:
    page.goto(f"{stack.url}/#/monitoring")
    section = page.locator("section.monitoring")
    expect(section).to_be_visible()
    expect(page.get_by_test_id("scheduler-status")).to_contain_text("healthy", timeout=30_000)
    first = section.get_attribute("data-updated")
    stack.api("POST", "/dags/ui_params/dagRuns", {})
    expect(section).not_to_have_attribute("data-updated", first, timeout=15_000)
    expect(page.locator("figure.chart")).to_be_visible(timeout=15_000)
    screenshot(page, "11-monitoring")


def test_markup_in_docs_description_and_log_is_text_and_never_runs(page: Any, stack: DevProcess) -> None:
    stack.api("POST", "/dags/ui_xss/dagRuns", {"dag_run_id": "xss_1"})
    page.get_by_label("Search DAGs").fill("ui_xss")
    row = page.locator("tr[data-dag-id=ui_xss]")
    expect(row).to_contain_text('<script>window.__xss = "description"</script>')
    open_dag(page, stack, "ui_xss", run="xss_1", task="shout")
    expect(page.locator(".doc-md")).to_contain_text('<script>window.__xss = "doc_md"</script>')
    expect(page.locator(".doc-md")).to_contain_text("onerror=")
    expect(page.get_by_test_id("log-text")).to_contain_text('<script>window.__xss = "log"</script>', timeout=SLOW)
    expect(page.locator(".xcoms")).to_contain_text('window.__xss = \\"xcom\\"')
    page.get_by_role("tab", name="Code").click()
    expect(page.locator("pre.code")).to_contain_text("<script>")
    assert page.evaluate("window.__xss") is None
    assert page.locator("main script, main img, main [onerror], main [onmouseover]").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    page.get_by_role("tab", name="Grid").click()
    expect(page.locator("button.square[data-task=shout]")).to_have_count(1)
    screenshot(page, "12-xss-as-text")


def test_viewer_role_sees_actions_disabled(browser: Any, stack: DevProcess) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{stack.url}/#token={stack.viewer_token}")
    expect(page.get_by_test_id("role")).to_contain_text("viewer", timeout=30_000)
    expect(page.locator("tr[data-dag-id=ui_params] [role=switch]")).to_be_disabled()
    open_dag(page, stack, "ui_params")
    expect(page.get_by_test_id("trigger")).to_be_disabled()
    screenshot(page, "13-viewer")
    context.close()
