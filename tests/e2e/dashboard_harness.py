"""The browser tests' side of chalicelib/devstack/dev_process.py: what cannot be had here (npm, Chromium)
skips the test instead of failing it, and screenshots go to tests/e2e/artifacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chalicelib.devstack.dev_process import FRONTEND, ROOT, DevProcess, Unavailable, build_frontend, launch_chromium

__all__ = ["FRONTEND", "ROOT", "DevProcess", "ensure_frontend_built", "launch_browser", "screenshot"]
ARTIFACTS = Path(__file__).parent / "artifacts"


def ensure_frontend_built() -> Path:
    try:
        return build_frontend()
    except Unavailable as exc:
        pytest.skip(str(exc))


def launch_browser(playwright: Any) -> Any:
    try:
        return launch_chromium(playwright)
    except Unavailable as exc:
        pytest.skip(str(exc))


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
