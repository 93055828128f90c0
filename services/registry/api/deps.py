"""Request dependencies of the registry API: the use-case context and the role sets of the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from libs.auth.deps import PrincipalDep
from libs.auth.principal import Role
from libs.kit.deps import RuntimeDep, SessionDep
from services.registry.application.context import Ctx
from services.registry.settings import RegistrySettings

R = Role
# Everyone who reads the directory within their scope; integrations (hotline, transport) have no registry routes.
READERS = (R.DOCTOR, R.UNIT_ADMIN, R.ALLIANCE_OFFICE, R.HEALTH_COMMISSION, R.AUDITOR, R.PLATFORM_ADMIN)
LEAD_SIDE = (R.UNIT_ADMIN, R.ALLIANCE_OFFICE)
REGISTRARS = (R.PLATFORM_ADMIN, R.UNIT_ADMIN, R.ALLIANCE_OFFICE)


def get_ctx(session: SessionDep, runtime: RuntimeDep, principal: PrincipalDep) -> Ctx:
    settings = runtime.settings
    assert isinstance(settings, RegistrySettings)
    return Ctx(session=session, outbox=runtime.outbox, now=runtime.clock.now(), principal=principal,
               settings=settings)


CtxDep = Annotated[Ctx, Depends(get_ctx)]
