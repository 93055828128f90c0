"""Assertions shared by the registry API tests: problem+json bodies, published events, stored rows."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import Table, func, select

from libs.events.envelope import Envelope
from libs.events.streams import stream_name
from libs.kit.runtime import ServiceRuntime
from tests.harness.waiting import eventually


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """An RFC 9457 body with ``status``; when ``field`` is given, one of its errors names it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    if field is not None:
        fields = [e["field"] for e in body["errors"]]
        assert any(field == f or f.endswith("." + field) for f in fields), (field, body)
    return body


async def stream_events(runtime: ServiceRuntime, service: str = "registry") -> list[Envelope]:
    """Every message in the service's JetStream stream (this test's namespace), oldest first."""
    js = runtime.js
    assert js is not None
    name = stream_name(runtime.settings.events_namespace, service)
    info = await js.stream_info(name)
    if info.state.messages == 0:
        return []
    return [Envelope.from_bytes((await js.get_msg(name, seq)).data)
            for seq in range(info.state.first_seq, info.state.last_seq + 1)]


async def published(runtime: ServiceRuntime, event_type: str, *, at_least: int = 1,
                    where: Any = None) -> list[Envelope]:
    """Wait until at least ``at_least`` events of ``event_type`` (matching ``where(data)``) are in JetStream."""
    def matching(events: list[Envelope]) -> list[Envelope]:
        return [e for e in events if e.type == event_type and (where is None or where(e.data))]

    events = await eventually(lambda: stream_events(runtime), until=lambda evs: len(matching(evs)) >= at_least,
                              what=f"{at_least} × {event_type} in JetStream")
    return matching(events)


async def count_rows(runtime: ServiceRuntime, table: Table, *conditions: Any) -> int:
    async with runtime.transaction() as session:
        stmt = select(func.count()).select_from(table)
        if conditions:
            stmt = stmt.where(*conditions)
        return int(await session.scalar(stmt) or 0)


def assert_subset(data: dict[str, Any], **expected: Any) -> None:
    assert {k: data.get(k) for k in expected} == expected, data
