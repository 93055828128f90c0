"""What a use case needs: the transaction, who is acting, the instant, and the outbox to publish through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from libs.auth.principal import Principal
from libs.events.envelope import Envelope, new_envelope
from libs.events.outbox import Outbox
from libs.events.registry import EventData
from libs.kit.clock import business_date
from services.registry.settings import RegistrySettings

SOURCE = "/alliance/registry"


@dataclass(frozen=True, kw_only=True)
class Publisher:
    """Session + outbox + instant: enough for the event consumers, which act for no user."""

    session: AsyncSession
    outbox: Outbox
    now: datetime
    causation: Envelope | None = None  # the consumed event, when reacting to one (correlation follows it)

    @property
    def today(self) -> date:
        """Business date (Asia/Shanghai) of ``now``."""
        return business_date(self.now)

    async def publish(self, data: EventData, *, subject: str) -> Envelope:
        """Write the event in the current transaction: it is relayed only if the change commits."""
        envelope = new_envelope(data, source=SOURCE, subject=subject, at=self.now, causation=self.causation)
        await self.outbox.add(self.session, envelope)
        return envelope


@dataclass(frozen=True, kw_only=True)
class Ctx(Publisher):
    """A request's use-case context: the verified principal acts."""

    principal: Principal
    settings: RegistrySettings

    @property
    def actor(self) -> str:
        """``role:sub`` — recorded as creator and as actor of every transition."""
        return f"{self.principal.role.value}:{self.principal.sub}"
