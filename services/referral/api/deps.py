"""Request dependencies of the referral API: the use-case context and the calling principal as a ``Caller``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from libs.auth.deps import PrincipalDep
from libs.kit.deps import RuntimeDep, SessionDep
from services.referral.application.actors import Caller, caller
from services.referral.context import Ctx


def _ctx(runtime: RuntimeDep) -> Ctx:
    return Ctx.of(runtime)


async def _caller(session: SessionDep, principal: PrincipalDep) -> Caller:
    return await caller(session, principal)


CtxDep = Annotated[Ctx, Depends(_ctx)]
CallerDep = Annotated[Caller, Depends(_caller)]
