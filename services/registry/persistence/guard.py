"""Turn a unique-constraint race into the domain's 409 instead of a 500, without losing the transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from libs.kit.errors import Conflict

T = TypeVar("T")


async def unique_or_conflict(session: AsyncSession, write: Callable[[], Awaitable[T]], conflict: Conflict) -> T:
    """Run ``write`` in a savepoint: the checks before it run without a lock, so a concurrent request may
    have taken the same key in between; the database constraint decides and the caller gets ``conflict``."""
    try:
        async with session.begin_nested():
            return await write()
    except IntegrityError as exc:
        raise conflict from exc
