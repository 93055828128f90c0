"""Helpers for tests: headers of a signed principal, as the gateway would forward them."""

from __future__ import annotations

from typing import Any

from libs.auth.deps import internal_auth_key
from libs.auth.principal import Principal, Role, sign_principal


def as_principal(role: Role | str, **scope: Any) -> dict[str, str]:
    principal = Principal(sub=scope.pop("sub", f"{role}-user"), role=Role(role), **scope)
    return sign_principal(principal, internal_auth_key())
