"""BaseBranchOperator: subclasses say which downstream task ids to follow; the other direct ones are skipped."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.sdk.baseoperator import BaseOperator
from chalicelib.sdk.operators.python import BranchMixIn


class BaseBranchOperator(BranchMixIn, BaseOperator):
    def choose_branch(self, context: dict[str, Any]) -> str | Iterable[str]:
        raise NotImplementedError(f"{type(self).__name__} must implement choose_branch()")

    def execute(self, context: dict[str, Any]) -> Any:
        return self.do_branch(context, self.choose_branch(context))
