"""API tokens kept in SSM Parameter Store (SecureString) on AWS, so they never sit in a Lambda's environment.

`LEVANTE_TOKENS_PARAMETER_PATH` (set by the stack, e.g. `/levante-prod/tokens`) holds one parameter per role
(`admin`, `operator`, `viewer`). A warm container re-reads them after `REFRESH_SECONDS`, so
`levante tokens rotate` takes effect within that time without a redeploy. Without the variable (local
stack, tests) the tokens come from the environment as before.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from chalicelib.api.auth import MIN_TOKEN_LENGTH, Role, TokenTable
from chalicelib.store.parameters import parameters_under

PATH_VARIABLE = "LEVANTE_TOKENS_PARAMETER_PATH"
REFRESH_SECONDS = 60.0
# The only cache: (expiry, table), replaced whole. Tokens change only by rotation, which the expiry bounds.
_cached: list[tuple[float, TokenTable]] = []


def current_tokens(clock: Callable[[], float] = time.monotonic) -> TokenTable:
    path = os.environ.get(PATH_VARIABLE)
    if not path:
        return TokenTable.from_env()
    now = clock()
    if _cached and _cached[0][0] > now:
        return _cached[0][1]
    table = read_tokens(path)
    _cached[:] = [(now + REFRESH_SECONDS, table)]
    return table


def read_tokens(path: str, ssm=None) -> TokenTable:
    pairs = []
    for name, value in parameters_under(path, ssm).items():
        role = name.upper()
        if role in Role.__members__ and len(value) >= MIN_TOKEN_LENGTH:  # a short token is never accepted
            pairs.append((value.encode(), Role[role]))
    return TokenTable(tuple(pairs))
