"""FastAPI dependencies: the verified principal of the request, and role guards."""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import Depends, Request

from libs.auth.principal import PRINCIPAL_HEADER, SIGNATURE_HEADER, Principal, Role, verify_principal
from libs.kit.settings import DEV_SECRET


def internal_auth_key() -> str:
    """Shared by the gateway and the services (``INTERNAL_AUTH_KEY``); production must set it."""
    return os.environ.get("INTERNAL_AUTH_KEY", DEV_SECRET)


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
