"""What a use case needs besides its session: keys, the clock, and a way to write events to the outbox.

Built per request or message from the running ``ServiceRuntime`` (``Ctx.of(runtime)``), so a test that swaps
``runtime.clock`` is seen at once. Nothing here commits: the caller owns the transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from libs.events import new_envelope
from libs.events.outbox import Outbox
from libs.events.registry import EventData
from libs.kit.clock import Clock, business_date
from libs.kit.runtime import ServiceRuntime
from services.referral.domain.crypto import decrypt, encrypt
from services.referral.settings import ReferralKeys

SOURCE = "/alliance/referral"
KEYS = "referral.keys"
_FACT_NAMESPACE = uuid.UUID("6f1c1f0e-2b8e-4c55-9d0a-4f3a8f0c7a21")


@dataclass(frozen=True)
class Ctx:
    keys: ReferralKeys
    clock: Clock
    outbox: Outbox

    @classmethod
    def of(cls, runtime: ServiceRuntime) -> Ctx:
        return cls(keys=runtime.extras[KEYS], clock=runtime.clock, outbox=runtime.outbox)

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return business_date(self.clock.now())

    def seal(self, scope: str, value: str | None) -> str | None:
        """Encrypt one free-text or identifier field; ``scope`` (e.g. ``referral:<id>:reason``) binds it."""
        return None if value is None else encrypt(self.keys.field_key, value, scope)

    def open(self, scope: str, token: str | None) -> str | None:
        return None if token is None else decrypt(self.keys.field_keys, token, scope)

    async def publish(self, session: AsyncSession, items: list[tuple[EventData, str]]) -> None:
        """Write events (payload, CloudEvents subject) to the outbox in the caller's transaction."""
        now = self.now()
        await self.outbox.add(session, *(new_envelope(data, source=SOURCE, subject=subject, at=now,
                                                      event_id=_event_id(data))
                                          for data, subject in items))


def _event_id(data: EventData) -> str | None:
    """Award facts get a deterministic envelope id (uuid5 of the fact id): a re-emission, should one ever
    happen, is absorbed by JetStream's duplicate window and the consumers' inbox instead of paying twice."""
    fact_id = getattr(data, "fact_id", None)
    return str(uuid.uuid5(_FACT_NAMESPACE, fact_id)) if isinstance(fact_id, str) else None
