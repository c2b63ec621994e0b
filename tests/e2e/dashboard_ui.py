"""Browser checks shared by the dashboard tests: axe-core (from the frontend's npm dev dependencies,
injected into the page), page width, and polling the API."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalicelib.devstack.process_groups import wait_until
from tests.e2e.dashboard_harness import FRONTEND, DevProcess

AXE = FRONTEND / "node_modules" / "axe-core" / "axe.min.js"
# (name, path after the origin): every page the dashboard has, with a task panel open on one of them
AXE_PAGES = [
    ("dag-list", "#/"),
    ("grid-with-task", "#/dags/ui_flaky?tab=grid&run=axe_1&task=flaky"),
    ("graph", "#/dags/ui_nested?tab=graph"),
    ("gantt", "#/dags/ui_flaky?tab=gantt&run=axe_1"),
    ("durations", "#/dags/ui_flaky?tab=durations"),
    ("calendar", "#/dags/ui_flaky?tab=calendar"),
    ("code", "#/dags/ui_nested?tab=code"),
    ("versions", "#/dags/ui_nested?tab=versions"),
    ("runs", "#/dags/ui_params?tab=runs"),
    ("details", "#/dags/ui_nested?tab=details"),
    ("run-panel", "#/dags/ui_flaky?tab=grid&run=axe_1&panel=run"),
    ("assets", "#/assets"),
    ("monitoring", "#/monitoring"),
    ("dead-letters", "#/dead-letters"),
]


def assert_no_serious_axe_violations(page: Any, where: str) -> None:
    """axe-core's WCAG 2 A/AA rules; serious and critical violations fail the test, with what and where."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
    }""")
    assert not result, f"axe on {where}:\n{json.dumps(result, indent=1)}"


def page_width(page: Any) -> int:
    return page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")


def wait_api(stack: DevProcess, condition: Callable[[], bool], timeout_ms: int) -> None:
    wait_until(condition, timeout=timeout_ms / 1000, what="API condition", interval=0.5)
