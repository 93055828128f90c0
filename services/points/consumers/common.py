"""What every points consumer shares: turning "not yet possible" into retry-then-park.

``NotYet`` is deliberately NOT ``RetryLater`` (which retries forever): the inbox consumer retries a failing
handler with backoff and parks the message in ``dead_letters`` with this reason after ``max_deliver``
deliveries, so an award for a doctor the directory does not know (yet) waits a little, then becomes visible.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from libs.events.consumer import Handler
from libs.events.registry import Event
from libs.kit.clock import SHANGHAI
from libs.kit.errors import InvalidInput


class NotYet(Exception):
    """The event cannot be applied now (unknown member, missing original …): retry, then park."""


def start_of(day: date) -> datetime:
    """A date-only fact happened on that Asia/Shanghai day: its first instant."""
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def parking(handler: Callable[[AsyncSession, Event], Awaitable[None]]) -> Handler:
    """Refusals of the domain (ineligible member, malformed fact) become ``NotYet`` with their Chinese reason."""

    async def run(session: AsyncSession, event: Event) -> None:
        try:
            await handler(session, event)
        except InvalidInput as exc:
            raise NotYet(f"{exc.field}: {exc.detail}") from exc

    return run
