"""Bearer tokens and roles: viewer (read), operator (trigger, clear, mark, pause), admin (everything).

Tokens come from the environment (`LEVANTE_ADMIN_TOKEN`, `LEVANTE_OPERATOR_TOKEN`, `LEVANTE_VIEWER_TOKEN`)
locally and from SSM SecureString parameters on AWS (token_store.py), re-read per request or after a
minute, so a rotated secret takes effect without a redeploy of code. With no token
configured every protected route answers 401: secure by default.

The application checks every request itself (`chalice local` admits requests that API Gateway's
authorizers would refuse); on AWS the same check also runs as a Chalice token authorizer (docs/api.md).
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

from chalicelib.api.errors import ApiError

ENV_TOKENS = (("LEVANTE_ADMIN_TOKEN", "admin"), ("LEVANTE_OPERATOR_TOKEN", "operator"),
              ("LEVANTE_VIEWER_TOKEN", "viewer"))
TOKEN_VARIABLES = tuple(name for name, _ in ENV_TOKENS)
MIN_TOKEN_LENGTH = 16
log = logging.getLogger("levante.api")


def token_problems(env: Mapping[str, str] | None = None) -> list[str]:
    """One line per configured token that is too short to be a credential (checked at start)."""
    env = os.environ if env is None else env
    return [f"{name} is {len(env[name])} characters long; tokens need at least {MIN_TOKEN_LENGTH} "
            f"(e.g. python -c 'import secrets; print(secrets.token_urlsafe(24))')"
            for name in TOKEN_VARIABLES if env.get(name) and len(env[name]) < MIN_TOKEN_LENGTH]


class Role(IntEnum):
    VIEWER = 1
    OPERATOR = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class TokenTable:
    tokens: tuple[tuple[bytes, Role], ...]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TokenTable:
        env = os.environ if env is None else env
        pairs = []
        for name, role in ENV_TOKENS:
            value = env.get(name, "")
            if len(value) >= MIN_TOKEN_LENGTH:
                pairs.append((value.encode(), Role[role.upper()]))
            elif value:  # never a credential, even if a start-up check was skipped
                log.error("%s is shorter than %d characters and is ignored", name, MIN_TOKEN_LENGTH)
        return cls(tuple(pairs))

    def role_of(self, token: str) -> Role | None:
        """The role of `token`; every configured token is compared in constant time (no early exit)."""
        given = token.encode()
        found: Role | None = None
        for secret, role in self.tokens:
            if hmac.compare_digest(given, secret) and (found is None or role > found):
                found = role
        return found


def bearer_token(headers: Mapping[str, str]) -> str | None:
    value = None
    for name, header in headers.items():
        if name.lower() == "authorization":
            value = header
            break
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="levante"'}


def authenticate(headers: Mapping[str, str], table: TokenTable | None = None) -> Role:
    token = bearer_token(headers)
    if token is None:
        raise ApiError(401, "missing credentials: send 'Authorization: Bearer <token>'", headers=_CHALLENGE)
    if table is None:
        from chalicelib.api.token_store import current_tokens  # SSM on AWS, the environment locally

        table = current_tokens()
    role = table.role_of(token)
    if role is None:
        raise ApiError(401, "invalid token", headers=_CHALLENGE)
    return role


def authorize(headers: Mapping[str, str], needed: Role, table: TokenTable | None = None) -> Role:
    role = authenticate(headers, table)
    if role < needed:
        raise ApiError(403, f"this action needs the {needed.label} role; your token has {role.label}")
    return role
