"""Dashboard v2 in Debian's Chromium against `levante dev`: each bug of issue #16 kept fixed, plus axe-core.

One stack for the module (the example DAGs are left out: the test DAGs are enough and sync faster).
Screenshots go to tests/e2e/artifacts/ (light and dark).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.dashboard_harness import DevProcess, ensure_frontend_built, launch_browser, screenshot
from tests.e2e.dashboard_ui import AXE_PAGES, assert_no_serious_axe_violations, page_width, wait_api

pytestmark = pytest.mark.e2e
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (browser tests)")
expect = sync_api.expect
TEST_DAGS = Path(__file__).parent / "dashboard_dags"
SLOW = 60_000


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevProcess]:
    ensure_frontend_built()
    work = tmp_path_factory.mktemp("dashboard-v2")
    dags = work / "dags"
    dags.mkdir()
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


def signed_in(browser: Any, stack: DevProcess, **context_args: Any) -> Any:
    # bypass_csp: axe-core is injected as an inline script (test_dashboard.py checks the CSP itself)
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True, **context_args)
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
    page.goto(f"{stack.url}/#token={stack.token}")
    expect(page.get_by_test_id("role")).to_contain_text("admin", timeout=30_000)
    return page


@pytest.fixture
def page(browser: Any, stack: DevProcess) -> Iterator[Any]:
    page = signed_in(browser, stack)
    yield page
    assert not page.problems, page.problems
    page.context.close()


def open_dag(page: Any, stack: DevProcess, dag_id: str, **query: str) -> None:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    page.goto(f"{stack.url}/#/dags/{dag_id}{'?' + qs if qs else ''}")
    expect(page.locator(".dag-title")).to_have_text(dag_id)


def test_grid_keeps_each_task_of_a_nested_group_inside_it(page: Any, stack: DevProcess) -> None:
    stack.api("POST", "/dags/ui_nested/dagRuns", {"dag_run_id": "nested_1"})
    open_dag(page, stack, "ui_nested")
    expect(page.locator("button.square[data-task=finish]")).to_have_attribute("data-state", "success", timeout=SLOW)
    rows = page.locator("table.grid tbody th.task-col").evaluate_all("els => els.map(e => e.title)")
    assert rows == ["start", "prep", "prep.clean", "prep.clean.load", "prep.clean.gate", "prep.fetch", "report",
                    "report.draw", "finish"], rows
    screenshot(page, "v2-01-grid-nested-groups")


def test_sign_in_reaches_new_tabs_and_sign_out_reaches_every_tab(browser: Any, stack: DevProcess) -> None:
    first = signed_in(browser, stack)
    assert first.evaluate("localStorage.getItem('levante.token')") is None  # not remembered unless asked
    second = first.context.new_page()  # a ctrl-clicked / pasted deep link: no token in it
    second.goto(f"{stack.url}/#/dags/ui_nested")
    expect(second.locator(".dag-title")).to_have_text("ui_nested", timeout=15_000)
    first.get_by_role("button", name="Sign out").click()
    expect(first.get_by_label("Token")).to_be_visible()
    expect(second.get_by_label("Token")).to_be_visible(timeout=5_000)
    assert second.evaluate("sessionStorage.getItem('levante.token')") is None

    second.get_by_label("Token").fill(stack.token)
    second.get_by_label(re.compile("Remember on this device")).check()
    second.get_by_role("button", name="Sign in").click()
    expect(second.get_by_test_id("role")).to_contain_text("admin")
    first.close()
    second.close()
    third = second.context.new_page()  # no tab left to ask: the remembered token signs it in
    third.goto(f"{stack.url}/#/monitoring")
    expect(third.get_by_test_id("role")).to_contain_text("admin", timeout=15_000)
    third.get_by_role("button", name="Sign out").click()
    assert third.evaluate("localStorage.getItem('levante.token')") is None
    third.context.close()


def test_sign_in_link_opened_on_the_sign_in_page_signs_in(browser: Any, stack: DevProcess) -> None:
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(f"{stack.url}/")
    expect(page.get_by_label("Token")).to_be_visible(timeout=15_000)
    assert_no_serious_axe_violations(page, "sign-in")
    page.goto(f"{stack.url}/#token={stack.token}")
    expect(page.get_by_test_id("role")).to_contain_text("admin", timeout=15_000)
    assert "token=" not in page.url
    context.close()


def test_runs_started_elsewhere_appear_and_last_and_recent_runs_are_right(page: Any, stack: DevProcess) -> None:
    page.get_by_label("Search DAGs").fill("ui_params")
    row = page.locator("tr[data-dag-id=ui_params]")
    expect(row).to_be_visible()
    stack.api("POST", "/dags/ui_params/dagRuns", {"dag_run_id": "elsewhere_1", "conf": {"mode": "slow"}})
    expect(row.get_by_test_id("last-run")).to_have_attribute("data-state", re.compile("running|queued|success"), timeout=15_000)
    wait_api(stack, lambda: stack.api("GET", "/dags/ui_params/dagRuns/elsewhere_1")["state"] == "success", SLOW)
    expect(row.get_by_test_id("last-run")).to_have_attribute("data-state", "success", timeout=15_000)
    expect(row.locator("[data-testid=recent-runs] .count-dot[data-state=running]")).to_have_count(0, timeout=15_000)
    expect(row.locator("[data-testid=recent-runs] .count-dot[data-state=success]")).to_be_visible()

    open_dag(page, stack, "ui_params")
    expect(page.locator("button.run-bar[data-run=elsewhere_1]")).to_be_visible()
    stack.api("POST", "/dags/ui_params/dagRuns", {"dag_run_id": "elsewhere_2"})
    expect(page.locator("button.run-bar[data-run=elsewhere_2]")).to_be_visible(timeout=15_000)


def test_a_task_waiting_for_its_retry_shows_up_for_retry_and_when(page: Any, stack: DevProcess) -> None:
    stack.api("POST", "/dags/ui_retry/dagRuns", {"dag_run_id": "retry_1"})
    open_dag(page, stack, "ui_retry", run="retry_1", task="wait_for_retry")
    square = page.locator("button.square[data-task=wait_for_retry]")
    expect(square).to_have_attribute("data-state", "up_for_retry", timeout=SLOW)
    assert "next attempt" in square.get_attribute("title")
    expect(page.get_by_test_id("next-attempt")).to_contain_text(re.compile(r"UTC \(in (59|60)m"))
    log = page.get_by_test_id("log-text")
    expect(log).to_contain_text("not yet")
    page.get_by_label("Log level").select_option("ERROR")
    expect(log).to_contain_text("Task failed with exception")
    expect(log).not_to_contain_text("not yet")  # an INFO line (the task's stdout)
    page.get_by_label("Log level").select_option("all")
    page.get_by_label("Search the log").fill("NOT YET")
    expect(log.locator("mark").first).to_have_text("not yet")
    screenshot(page, "v2-02-up-for-retry")


def test_mark_success_refreshes_the_panel_and_resumes_downstream(page: Any, stack: DevProcess) -> None:
    stack.api("POST", "/dags/ui_flaky/dagRuns", {"dag_run_id": "mark_1"})
    open_dag(page, stack, "ui_flaky", run="mark_1", task="flaky")
    after = page.locator("button.square[data-task=after][data-run=mark_1]")
    expect(after).to_have_attribute("data-state", "upstream_failed", timeout=SLOW)
    expect(page.get_by_test_id("ti-error")).to_contain_text("failing on purpose")
    page.get_by_role("button", name="Mark success").click()
    expect(page.locator(".confirm")).to_contain_text("flaky")
    page.get_by_role("button", name="Confirm mark success").click()
    expect(page.get_by_test_id("ti-state")).to_contain_text("success")
    expect(page.get_by_test_id("ti-state")).to_contain_text("marked by a user")
    expect(page.get_by_test_id("ti-error")).to_have_count(0)
    expect(page.locator(".tries button[data-try='1']")).to_have_attribute("data-state", "failed")
    expect(after).to_have_attribute("data-state", "success", timeout=SLOW)  # resumed, as Airflow does

    page.get_by_role("button", name="Add note").click()
    page.locator("form.note-form textarea").fill("checked by hand")
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_test_id("note")).to_contain_text("checked by hand")
    assert stack.api("GET", "/dags/ui_flaky/dagRuns/mark_1/taskInstances/flaky")["note"] == "checked by hand"


def test_trigger_dialog_validates_and_is_a_real_dialog(page: Any, stack: DevProcess) -> None:
    open_dag(page, stack, "ui_nested")
    opener = page.get_by_test_id("trigger")
    opener.click()
    dialog = page.get_by_role("dialog", name="Trigger ui_nested")
    expect(dialog).to_be_visible()
    assert page.evaluate("document.querySelector('[role=dialog]').contains(document.activeElement)")
    for _ in range(25):  # Tab never leaves the dialog
        page.keyboard.press("Tab")
        assert page.evaluate("document.querySelector('[role=dialog]').contains(document.activeElement)")
    expect(dialog.get_by_label(re.compile("^Batch code"))).to_be_visible()  # the schema's title
    dialog.get_by_label(re.compile("^Batch code")).fill("nope")
    expect(dialog.locator("[data-param=batch] .error")).to_contain_text("pattern")
    dialog.get_by_label(re.compile("^Batch code")).fill("ZZ-9")
    dialog.get_by_label(re.compile("^size")).fill("7")  # multipleOf: only the server checks it
    dialog.get_by_role("button", name="Trigger").click()
    expect(dialog.locator("[data-param=size] .error")).to_contain_text("multiple of 5")
    assert_no_serious_axe_violations(page, "trigger dialog")
    screenshot(page, "v2-03-trigger-errors")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()


def test_triggering_a_paused_dag_offers_unpause_on_trigger(page: Any, stack: DevProcess) -> None:
    stack.api("PATCH", "/dags/ui_retry", {"is_paused": True})
    open_dag(page, stack, "ui_retry")
    page.get_by_test_id("trigger").click()
    notice = page.get_by_test_id("paused-notice")
    expect(notice).to_contain_text("paused")
    notice.get_by_label("Unpause ui_retry on trigger").check()  # checked already, as in Airflow 3
    page.get_by_role("dialog").get_by_role("button", name="Trigger").click()
    expect(page).to_have_url(re.compile(r"run=manual"), timeout=10_000)
    assert stack.api("GET", "/dags/ui_retry")["is_paused"] is False


def test_graph_is_readable_and_groups_collapse(page: Any, stack: DevProcess) -> None:
    open_dag(page, stack, "ui_nested", tab="graph")
    label = page.locator("g.node[data-task='prep.clean.gate'] text.label")
    expect(label).to_be_visible()
    assert label.evaluate("e => e.getBoundingClientRect().height") >= 10  # drawn at its size, not shrunk to fit
    page.locator("g.tg-toggle[data-group=prep]").click()
    expect(page.locator("g.node[data-group=prep]")).to_be_visible()
    expect(page.locator("g.node[data-task='prep.clean.gate']")).to_have_count(0)
    screenshot(page, "v2-04-graph-collapsed")
    page.locator("g.node[data-group=prep]").click()
    expect(page.locator("g.node[data-task='prep.clean.gate']")).to_be_visible()


def test_monitoring_is_consistent_and_charts_the_past_hour_at_once(page: Any, stack: DevProcess) -> None:
    page.goto(f"{stack.url}/#/monitoring")
    expect(page.locator("figure.chart")).to_be_visible(timeout=15_000)  # no "collecting samples" wait
    failed = page.get_by_test_id("failed-tries")
    expect(failed).to_contain_text("Failed tries (last 60 min)")
    expect(page.locator("section.monitoring")).to_contain_text("DAGs whose latest run failed")


def test_keyboard_search_and_time_zone(page: Any, stack: DevProcess) -> None:
    header = page.locator("table.dags thead")
    expect(header).to_contain_text("Next run (UTC)")
    page.get_by_test_id("timezone").select_option("Asia/Tokyo")
    expect(header).to_contain_text("Next run (Asia/Tokyo)")
    page.get_by_test_id("timezone").select_option("UTC")
    page.keyboard.press("/")
    palette = page.get_by_role("dialog", name="Search DAGs and tasks")
    expect(palette).to_be_visible()
    page.keyboard.type("ui_nest")
    expect(palette.get_by_role("option").first).to_contain_text("ui_nested")
    page.keyboard.press("Enter")
    expect(page.locator(".dag-title")).to_have_text("ui_nested")


def test_run_panel_cost_actions_and_timeline_views(page: Any, stack: DevProcess) -> None:
    stack.api("POST", "/dags/ui_nested/dagRuns", {"dag_run_id": "cost_1"})
    wait_api(stack, lambda: stack.api("GET", "/dags/ui_nested/dagRuns/cost_1")["state"] == "success", SLOW)
    cost = stack.api("GET", "/dags/ui_nested/dagRuns/cost_1")["cost_usd"]
    assert 0 < cost < 0.001
    open_dag(page, stack, "ui_nested", run="cost_1")
    page.locator("button.run-bar[data-run=cost_1]").click()
    shown = page.get_by_test_id("run-cost")
    expect(shown).to_have_text(re.compile(r"^\$0\.0\d+$"))
    assert float(shown.inner_text()[1:]) == pytest.approx(cost, rel=0.05)
    page.get_by_role("button", name="Clear all").click()
    expect(page.locator(".run-panel .confirm")).to_contain_text("prep.clean.gate")  # the dry-run list
    page.get_by_role("button", name="Cancel").click()
    screenshot(page, "v2-05-run-panel-cost")

    page.get_by_role("tab", name="Gantt").click()
    expect(page.locator(".gantt button.gantt-bar[data-task=finish]")).to_have_attribute("data-state", "success")
    screenshot(page, "v2-06-gantt")
    page.get_by_role("tab", name="Calendar").click()
    expect(page.locator(".calendar-days li").first).to_be_visible()
    page.get_by_role("tab", name="Details").click()
    expect(page.get_by_test_id("dag-costs")).to_contain_text("$")
    page.get_by_label("From").fill("2024-01-01")
    page.get_by_label("to", exact=True).fill("2024-01-10")
    page.get_by_role("button", name="Forecast").click()
    expect(page.get_by_test_id("backfill-result")).to_contain_text("creates 0 runs")  # schedule=None: nothing to fill
    screenshot(page, "v2-07-details-cost")


def test_dead_letters_page_lists_and_redrives(page: Any, stack: DevProcess) -> None:
    import boto3

    key = re.search(r"AWS_ACCESS_KEY_ID=(\S+) AWS_SECRET_ACCESS_KEY=(\S+)", stack.output.read_text(errors="replace"))
    assert key, "levante dev prints the local stack's credentials"
    sqs = boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{stack.moto}", region_name="us-east-1",
                       aws_access_key_id=key.group(1), aws_secret_access_key=key.group(2))
    dlq = next(u for u in sqs.list_queues()["QueueUrls"] if u.endswith("-dlq"))
    stack.api("POST", "/dags/ui_flaky/dagRuns", {"dag_run_id": "dlq_1"})
    wait_api(stack, lambda: stack.api("GET", "/dags/ui_flaky/dagRuns/dlq_1")["state"] == "failed", SLOW)
    sqs.send_message(QueueUrl=dlq, MessageBody='{"dag_id":"ui_flaky","run_id":"dlq_1","task_id":"flaky","try_number":1}')
    page.goto(f"{stack.url}/#/dead-letters")
    row = page.locator("section.dead-letters tbody tr")
    expect(row).to_have_count(1, timeout=15_000)
    expect(row).to_contain_text("ui_flaky / dlq_1 / flaky (try 1)")
    expect(row).to_contain_text("failing on purpose")  # the task's last error, from the store
    assert_no_serious_axe_violations(page, "dead letters")
    screenshot(page, "v2-08-dead-letters")
    row.get_by_role("button", name="Redrive").click()
    expect(page.get_by_role("status")).to_contain_text("Redriven: 1")
    expect(page.locator("section.dead-letters")).to_contain_text("The dead-letter queue is empty.")
    assert stack.api("GET", "/deadLetters")["total_entries"] == 0


def test_admin_variables_and_connections(page: Any, stack: DevProcess) -> None:
    page.goto(f"{stack.url}/#/admin/variables")
    form = page.get_by_role("form", name="Set a variable")
    form.get_by_label("Key").fill("ui_var")
    form.get_by_label("Value").fill("v1")
    form.get_by_role("button", name="Save variable").click()
    expect(page.locator("tr[data-key=ui_var]")).to_contain_text("v1")
    assert stack.api("GET", "/variables/ui_var")["value"] == "v1"
    assert_no_serious_axe_violations(page, "variables")
    page.get_by_role("link", name="Connections").click()
    form = page.get_by_role("form", name="Add a connection")
    form.get_by_label("Connection id").fill("ui_conn")
    form.get_by_label("Type").fill("postgres")
    form.get_by_label("Host").fill("db.example")
    form.get_by_label(re.compile("^Password")).fill("s3cret-pass")
    form.get_by_role("button", name="Add connection").click()
    expect(page.locator("tr[data-conn=ui_conn]")).to_contain_text("db.example")
    assert "s3cret-pass" not in page.content()
    assert_no_serious_axe_violations(page, "connections")
    screenshot(page, "v2-09-connections")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_passes_axe_and_fits_390px(browser: Any, stack: DevProcess, scheme: str) -> None:
    if not any(r["dag_run_id"] == "axe_1" for r in stack.api("GET", "/dags/ui_flaky/dagRuns")["dag_runs"]):
        stack.api("POST", "/dags/ui_flaky/dagRuns", {"dag_run_id": "axe_1"})  # a failed task for the panel
    wait_api(stack, lambda: stack.api("GET", "/dags/ui_flaky/dagRuns/axe_1")["state"] == "failed", SLOW)
    page = signed_in(browser, stack, color_scheme=scheme)
    background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert (background == "rgb(13, 17, 23)") is (scheme == "dark"), background
    for name, path in AXE_PAGES:
        page.goto(f"{stack.url}/{path}")
        page.wait_for_selector("main section, main .empty", timeout=15_000)
        page.wait_for_selector("main .loading", state="detached", timeout=15_000)
        assert_no_serious_axe_violations(page, f"{name} ({scheme})")
        screenshot(page, f"v2-page-{name}-{scheme}")
    page.set_viewport_size({"width": 390, "height": 844})
    for name, path in AXE_PAGES:
        page.goto(f"{stack.url}/{path}")
        page.wait_for_selector("main section, main .empty", timeout=15_000)
        page.wait_for_selector("main .loading", state="detached", timeout=15_000)
        assert page_width(page) <= 390, f"{name} is {page_width(page)} px wide at 390 px"
    screenshot(page, f"v2-390px-{scheme}")
    assert not page.problems, page.problems
    page.context.close()
