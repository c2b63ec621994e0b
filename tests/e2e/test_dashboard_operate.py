"""Operating from the dashboard in Debian's Chromium against `levante dev` (issue #16): a paused DAG's
triggered run waits queued until the DAG is unpaused (as in Airflow 3), the log of a running task is tailed
while it runs, mapped tasks, DAG versions, assets and a try's rendered templates. Each page is checked with
axe-core.

The long-running task prints a line a second for ~20 s (not the issue's 60 s, to keep CI fast): the test
asserts that an early line is shown while the task still runs, and that later lines then appear in the same
page without a reload.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.dashboard_harness import DevProcess, ensure_frontend_built, launch_browser, screenshot
from tests.e2e.dashboard_ui import assert_no_serious_axe_violations, wait_api

pytestmark = pytest.mark.e2e
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (browser tests)")
expect = sync_api.expect
DAGS = Path(__file__).parent / "dashboard_operate_dags"
SLOW = 60_000


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevProcess]:
    ensure_frontend_built()
    work = tmp_path_factory.mktemp("dashboard-operate")
    dags = work / "dags"
    dags.mkdir()
    for path in DAGS.glob("*.py"):
        shutil.copy(path, dags / path.name)
    # A running try's log is published every second (3 s by default), so the tail is seen sooner.
    stack = DevProcess(work, dags, {"LEVANTE_LOG_FLUSH_SECONDS": "1"})
    try:
        stack.start()
        stack.wait_for(lambda: stack.api("GET", "/dags?limit=10")["total_entries"] >= len(list(DAGS.glob("*.py"))),
                       60, "the test DAGs synced")
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def page(stack: DevProcess) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = launch_browser(playwright)
        # bypass_csp: axe-core is injected as an inline script (test_dashboard.py checks the CSP itself)
        page = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True).new_page()
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.goto(f"{stack.url}/#token={stack.token}")
        expect(page.get_by_test_id("role")).to_contain_text("admin", timeout=30_000)
        yield page
        browser.close()
        assert not problems, problems


def ensure_run(stack: DevProcess, dag_id: str, run_id: str) -> None:
    """The run exists and succeeded (each test can run alone, in any order)."""
    if not any(r["dag_run_id"] == run_id for r in stack.api("GET", f"/dags/{dag_id}/dagRuns")["dag_runs"]):
        stack.api("POST", f"/dags/{dag_id}/dagRuns", {"dag_run_id": run_id})
    wait_api(stack, lambda: stack.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"] == "success", SLOW)


def task_state(stack: DevProcess, dag_id: str, run_id: str, task_id: str) -> str | None:
    return stack.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}")["state"]


def test_a_paused_dags_triggered_run_waits_queued_until_unpaused(page: Any, stack: DevProcess) -> None:
    stack.api("PATCH", "/dags/ui_paused", {"is_paused": True})
    page.goto(f"{stack.url}/#/dags/ui_paused")
    page.get_by_test_id("trigger").click()
    dialog = page.get_by_role("dialog")
    unpause = dialog.get_by_label("Unpause ui_paused on trigger")
    expect(unpause).to_be_checked()  # Airflow 3's form offers it checked
    unpause.uncheck()
    expect(page.get_by_test_id("paused-notice")).to_contain_text("created queued and starts only when the DAG is unpaused")
    assert_no_serious_axe_violations(page, "trigger dialog of a paused DAG")
    dialog.get_by_role("button", name="Trigger").click()
    expect(page).to_have_url(re.compile(r"run=manual"), timeout=10_000)
    run_id = page.evaluate("decodeURIComponent(/run=([^&]+)/.exec(location.hash)[1])")

    run = stack.api("GET", f"/dags/ui_paused/dagRuns/{run_id}")
    assert run["state"] == "queued" and stack.api("GET", "/dags/ui_paused")["is_paused"] is True
    expect(page.get_by_test_id("paused-queued")).to_contain_text("1 run is queued and will start when the DAG is unpaused",
                                                                 timeout=15_000)
    assert_no_serious_axe_violations(page, "paused DAG with a queued run")
    screenshot(page, "operate-01-paused-queued")

    page.get_by_role("switch", name="Unpause ui_paused").click()
    wait_api(stack, lambda: stack.api("GET", f"/dags/ui_paused/dagRuns/{run_id}")["state"] == "success", SLOW)
    assert task_state(stack, "ui_paused", run_id, "hello") == "success"
    expect(page.get_by_test_id("paused-queued")).to_have_count(0, timeout=15_000)


def test_the_log_of_a_running_task_is_tailed_while_it_runs(page: Any, stack: DevProcess) -> None:
    stack.api("POST", "/dags/ui_live_log/dagRuns", {"dag_run_id": "live_1"})
    wait_api(stack, lambda: task_state(stack, "ui_live_log", "live_1", "tail_me") == "running", SLOW)
    page.goto(f"{stack.url}/#/dags/ui_live_log?tab=grid&run=live_1&task=tail_me")
    log = page.get_by_test_id("log-text")

    expect(log).to_contain_text("tick 2 of 60", timeout=30_000)
    assert task_state(stack, "ui_live_log", "live_1", "tail_me") == "running"  # shown before the task ended
    expect(page.get_by_test_id("log-status")).to_contain_text("following the running task")
    last_seen = int(re.findall(r"tick (\d+) of 60", log.inner_text())[-1])
    later = min(last_seen + 2, 20)
    expect(log).to_contain_text(f"tick {later} of 60", timeout=15_000)  # appended to the page without a reload
    assert_no_serious_axe_violations(page, "task panel tailing a running log")
    screenshot(page, "operate-02-live-log")


def test_a_mapped_task_shows_its_count_and_each_instance(page: Any, stack: DevProcess) -> None:
    ensure_run(stack, "ui_mapped", "mapped_1")
    page.goto(f"{stack.url}/#/dags/ui_mapped?tab=grid")
    square = page.locator("button.square[data-task=square][data-run=mapped_1]")
    expect(square).to_have_attribute("data-mapped", "3", timeout=15_000)
    expect(square).to_have_attribute("aria-label", re.compile("3 mapped instances"))
    square.click()

    expect(page.get_by_test_id("mapped-count")).to_contain_text("3 mapped instances")
    rows = page.locator("table.mapped-instances tbody tr")
    expect(rows).to_have_count(3)
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.mapIndex)") == ["0", "1", "2"]
    assert_no_serious_axe_violations(page, "mapped task's instances")
    rows.nth(1).get_by_role("button", name="[1]").click()

    expect(page).to_have_url(re.compile(r"map=1"))
    expect(page.get_by_test_id("map-index")).to_have_text(" [1]")
    expect(page.get_by_test_id("ti-state")).to_contain_text("success")
    expect(page.get_by_test_id("log-text")).to_contain_text("squaring 2", timeout=15_000)
    expect(page.locator("table.xcoms")).to_contain_text("4")
    expect(page.get_by_test_id("rendered-fields").locator("tr", has_text="op_kwargs")).to_contain_text('"n": 2')
    assert_no_serious_axe_violations(page, "one mapped instance")
    screenshot(page, "operate-03-mapped-instance")
    page.get_by_role("button", name="all mapped instances").click()
    expect(rows).to_have_count(3)
    page.goto(f"{stack.url}/#/dags/ui_mapped?tab=graph")
    expect(page.locator("g.node[data-task=square] text.label")).to_have_text("square [ ]")  # Airflow's mark
    expect(page.locator("g.node[data-task=numbers] text.label")).to_have_text("numbers")


def test_marking_and_clearing_a_mapped_instance_reach_that_instance_only(page: Any, stack: DevProcess) -> None:
    ensure_run(stack, "ui_mapped", "mapped_mark")
    page.goto(f"{stack.url}/#/dags/ui_mapped?tab=grid&run=mapped_mark&task=square&map=2")
    expect(page.get_by_test_id("ti-state")).to_contain_text("success")
    page.get_by_role("button", name="Mark failed").click()
    page.get_by_role("button", name="Confirm mark failed").click()
    expect(page.get_by_test_id("ti-state")).to_contain_text("failed", timeout=15_000)
    mapped = stack.api("GET", "/dags/ui_mapped/dagRuns/mapped_mark/taskInstances/square/listMapped")["task_instances"]
    assert {t["map_index"]: t["state"] for t in mapped} == {0: "success", 1: "success", 2: "failed"}

    page.get_by_role("button", name="Clear", exact=True).click()
    expect(page.locator("ul.dry-run li")).to_have_text(["square[2]"])
    page.get_by_role("button", name="Confirm clear").click()
    # The panel's XComs and rendered fields reload meanwhile, each with its own "Loading…" status.
    expect(page.get_by_role("status").filter(has_text="Cleared")).to_have_text("Cleared 1 task instance(s).")

    def instances() -> dict[int, tuple[str | None, int]]:
        listed = stack.api("GET", "/dags/ui_mapped/dagRuns/mapped_mark/taskInstances/square/listMapped")
        return {t["map_index"]: (t["state"], t["try_number"]) for t in listed["task_instances"]}

    wait_api(stack, lambda: instances()[2] == ("success", 2), SLOW)  # ran again
    assert instances() == {0: ("success", 1), 1: ("success", 1), 2: ("success", 2)}


SECOND_TASK = """
    @task
    def second():
        print("second version")

    first() >> second()
"""


def test_versions_tab_lists_each_version_with_its_code(page: Any, stack: DevProcess) -> None:
    path = stack.dags_folder / "ui_versions.py"
    path.write_text(path.read_text().replace("    first()\n", SECOND_TASK))  # the DAG processor parses it again
    wait_api(stack, lambda: stack.api("GET", "/dags/ui_versions/versions")["total_entries"] >= 2, SLOW)
    page.goto(f"{stack.url}/#/dags/ui_versions?tab=versions")
    rows = page.locator("table.dag-versions tbody tr")
    expect(rows).to_have_count(2, timeout=15_000)
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.version)") == ["2", "1"]
    expect(rows.first).to_contain_text("current")
    expect(rows.first.locator("td").nth(4)).to_have_text("2")  # tasks in v2
    code = page.get_by_label(re.compile("DAG source, version"))
    expect(code).to_contain_text("second version")
    rows.nth(1).get_by_role("button", name="view v1").click()
    expect(page).to_have_url(re.compile(r"version=1"))
    expect(page.get_by_label("DAG source, version 1")).not_to_contain_text("second version")
    expect(page.get_by_label("DAG source, version 1")).to_contain_text("first version")
    assert_no_serious_axe_violations(page, "versions tab")
    screenshot(page, "operate-04-versions")


def test_assets_view_lists_assets_and_their_events(page: Any, stack: DevProcess) -> None:
    ensure_run(stack, "ui_asset_producer", "asset_1")
    uri = "s3://ui-bucket/report.csv"
    wait_api(stack, lambda: any(a["uri"] == uri and a["last_asset_event"] for a in stack.api("GET", "/assets")["assets"]),
             SLOW)
    page.goto(f"{stack.url}/#/assets")
    row = page.locator(f"table.assets-table tr[data-uri='{uri}']")
    # The page polls every 10 s. In one full-module run the producer appeared only on a later poll, right
    # after the versions test had the DAG processor parse the folder again (cause not established).
    expect(row).to_contain_text("ui_asset_producer.write_report", timeout=25_000)
    expect(row).to_contain_text("ui_report")
    expect(row).to_contain_text("ui_asset_consumer")
    assert_no_serious_axe_violations(page, "assets")
    row.get_by_role("button", name="ui_report").click()
    events = page.locator("table.asset-events tbody tr")
    expect(events).to_have_count(1, timeout=15_000)
    expect(events.first).to_contain_text("ui_asset_producer.write_report · asset_1")
    expect(events.first).to_contain_text('{"rows":42}')
    assert_no_serious_axe_violations(page, "asset events")
    screenshot(page, "operate-05-assets")


def test_rendered_templates_of_a_try_are_shown_with_secrets_masked(page: Any, stack: DevProcess) -> None:
    secret = "ui-planted-key-5150"
    stack.api("POST", "/variables", {"key": "ui_api_key", "value": secret})
    ensure_run(stack, "ui_rendered", "rendered_1")
    page.goto(f"{stack.url}/#/dags/ui_rendered?tab=grid&run=rendered_1&task=templated")
    fields = page.get_by_test_id("rendered-fields")
    expect(fields.locator("tr", has_text="bash_command")).to_contain_text("echo run rendered_1 key ***", timeout=15_000)
    assert secret not in page.content()
    assert_no_serious_axe_violations(page, "task panel with rendered templates")
    screenshot(page, "operate-06-rendered-templates")


DARK_PAGES = [
    ("mapped-instances", "#/dags/ui_mapped?tab=grid&run=mapped_1&task=square", "table.mapped-instances"),
    ("mapped-instance", "#/dags/ui_mapped?tab=grid&run=mapped_1&task=square&map=1", "[data-testid=rendered-fields]"),
    ("versions", "#/dags/ui_versions?tab=versions", "table.dag-versions"),
    ("assets", "#/assets?uri=s3%3A%2F%2Fui-bucket%2Freport.csv", "table.asset-events"),
]


def test_the_new_views_pass_axe_in_dark_mode(stack: DevProcess) -> None:
    ensure_run(stack, "ui_mapped", "mapped_1")
    ensure_run(stack, "ui_asset_producer", "asset_1")
    with sync_api.sync_playwright() as playwright:
        browser = launch_browser(playwright)
        page = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True,
                                   color_scheme="dark").new_page()
        page.goto(f"{stack.url}/#token={stack.token}")
        expect(page.get_by_test_id("role")).to_contain_text("admin", timeout=30_000)
        for name, path, ready in DARK_PAGES:
            page.goto(f"{stack.url}/{path}")
            expect(page.locator(ready)).to_be_visible(timeout=15_000)
            assert_no_serious_axe_violations(page, f"{name} (dark)")
            screenshot(page, f"operate-page-{name}-dark")
        browser.close()
