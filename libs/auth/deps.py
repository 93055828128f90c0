"""FastAPI dependencies: the verified principal of the request, and role guards."""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import Depends, Request

from libs.auth.principal import PRINCIPAL_HEADER, SIGNATURE_HEADER, Principal, Role, verify_principal
from libs.kit.settings import DEV_SECRET, env_or_file


def internal_auth_key() -> str:
    """Shared by the gateway and the services (``INTERNAL_AUTH_KEY`` or ``INTERNAL_AUTH_KEY_FILE``).

    A deployment that declares itself production (any ``*_ENVIRONMENT=production``) must set its own key:
    with the dev value every service would trust a principal anyone can sign.
    """
    key = env_or_file("INTERNAL_AUTH_KEY") or DEV_SECRET
    if key == DEV_SECRET and _production():
        raise RuntimeError("INTERNAL_AUTH_KEY must be set in production")
    return key


def _production() -> bool:
    return any(name.endswith("ENVIRONMENT") and value == "production" for name, value in os.environ.items())


def current_principal(request: Request) -> Principal:
    return verify_principal(request.headers.get(PRINCIPAL_HEADER), request.headers.get(SIGNATURE_HEADER),
                            internal_auth_key())


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role):  # type: ignore[no-untyped-def]
    """``Depends(require_roles(Role.ALLIANCE_OFFICE))``: deny by default, allow the named roles."""

    def guard(principal: PrincipalDep) -> Principal:
        principal.require(*roles)
        return principal

    return Depends(guard)
