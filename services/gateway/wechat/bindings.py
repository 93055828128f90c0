"""Where WeChat accounts are bound to doctors: a port with a PostgreSQL and an in-memory implementation.

The in-memory one serves local runs without a gateway database and the contract tests; production refuses
to start without a database (see ``GatewaySettings``).

Redeeming a bind code is one transaction: the code is marked used only if it is unused, unexpired and issued
for that doctor (a single conditional UPDATE, so two concurrent redemptions cannot both win), and the binding is
written with it. If the binding fails (the WeChat account is bound to another doctor) the code stays unused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.kit.errors import Conflict
from services.gateway.persistence.tables import bind_codes, wechat_bindings


@dataclass(frozen=True)
class Binding:
    doctor_id: str
    alliance_id: str | None = None
    institution_id: str | None = None


@dataclass(frozen=True)
class IssuedCode:
    binding: Binding
    issued_by: str
    expires_at: datetime


class BindingStore(Protocol):
    async def find(self, openid_digest: str) -> Binding | None: ...

    async def issue(self, code_digest: str, code: IssuedCode) -> None: ...

    async def redeem(self, code_digest: str, doctor_id: str, openid_digest: str, now: datetime) -> Binding | None:
        """Bind the account with a valid one-time code; None if the code is unknown, used, expired or not for
        this doctor. Raises ``Conflict`` if the account is bound to another doctor."""
        ...


def already_bound() -> Conflict:
    return Conflict("该微信账号已绑定其他医师", field="body.code", code="wechat_already_bound")


class PostgresBindingStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def find(self, openid_digest: str) -> Binding | None:
        async with self._sessions() as session:
            row = (await session.execute(select(wechat_bindings).where(
                wechat_bindings.c.openid_digest == openid_digest))).mappings().one_or_none()
        return Binding(row["doctor_id"], row["alliance_id"], row["institution_id"]) if row else None

    async def issue(self, code_digest: str, code: IssuedCode) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(insert(bind_codes).values(
                code_digest=code_digest, doctor_id=code.binding.doctor_id, alliance_id=code.binding.alliance_id,
                institution_id=code.binding.institution_id, issued_by=code.issued_by, expires_at=code.expires_at))

    async def redeem(self, code_digest: str, doctor_id: str, openid_digest: str, now: datetime) -> Binding | None:
        async with self._sessions() as session, session.begin():
            row = (await session.execute(
                update(bind_codes)
                .where(bind_codes.c.code_digest == code_digest, bind_codes.c.doctor_id == doctor_id,
                       bind_codes.c.used_at.is_(None), bind_codes.c.expires_at > now)
                .values(used_at=now)
                .returning(bind_codes.c.doctor_id, bind_codes.c.alliance_id, bind_codes.c.institution_id)
            )).mappings().one_or_none()
            if row is None:
                return None
            binding = Binding(row["doctor_id"], row["alliance_id"], row["institution_id"])
            await _bind(session, openid_digest, binding, now)
            return binding


async def _bind(session: AsyncSession, openid_digest: str, binding: Binding, now: datetime) -> None:
    t = wechat_bindings
    current = await session.scalar(select(t.c.doctor_id).where(t.c.openid_digest == openid_digest).with_for_update())
    if current is not None and current != binding.doctor_id:
        raise already_bound()
    # A doctor has one WeChat account: binding a new one replaces the old (e.g. a new WeChat ID).
    await session.execute(delete(t).where((t.c.doctor_id == binding.doctor_id) | (t.c.openid_digest == openid_digest)))
    try:
        async with session.begin_nested():
            await session.execute(insert(t).values(
                openid_digest=openid_digest, doctor_id=binding.doctor_id, alliance_id=binding.alliance_id,
                institution_id=binding.institution_id, bound_at=now))
    except IntegrityError as exc:  # a concurrent bind of the same doctor or account won; the client may retry
        raise Conflict("绑定正在进行，请稍后重试", field="body.code", code="wechat_bind_in_progress") from exc


@dataclass
class MemoryBindingStore:
    bindings: dict[str, Binding] = field(default_factory=dict)
    codes: dict[str, IssuedCode] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)

    async def find(self, openid_digest: str) -> Binding | None:
        return self.bindings.get(openid_digest)

    async def issue(self, code_digest: str, code: IssuedCode) -> None:
        self.codes[code_digest] = code

    async def redeem(self, code_digest: str, doctor_id: str, openid_digest: str, now: datetime) -> Binding | None:
        code = self.codes.get(code_digest)
        if code is None or code_digest in self.used or code.binding.doctor_id != doctor_id or code.expires_at <= now:
            return None
        current = self.bindings.get(openid_digest)
        if current is not None and current.doctor_id != doctor_id:
            raise already_bound()
        self.used.add(code_digest)
        self.bindings = {k: v for k, v in self.bindings.items() if v.doctor_id != doctor_id}
        self.bindings[openid_digest] = code.binding
        return code.binding
