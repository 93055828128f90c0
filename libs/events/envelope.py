"""CloudEvents 1.0 envelope. ``to_bytes`` / ``from_bytes`` are the one serialisation of an event.

Extension attributes (lowercase, per CloudEvents naming rules): ``dataversion`` (payload schema
version), ``correlationid`` (the request or saga that started it), ``causationid`` (the event that
caused it), ``traceparent`` (W3C trace context: the span that wrote the event, so a consumer's span continues it).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.kit.logging import correlation_id_var, request_id_var
from libs.kit.tracing import current_traceparent

if TYPE_CHECKING:
    from libs.events.registry import EventData


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str
    type: str
    dataversion: int = Field(ge=1)
    subject: str | None = None
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    correlationid: str | None = None
    causationid: str | None = None
    traceparent: str | None = None
    data: dict[str, Any]

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        return cls.model_validate_json(raw)


def new_envelope(data: EventData, *, source: str, subject: str | None = None,
                 causation: Envelope | None = None, at: datetime | None = None,
                 event_id: str | None = None) -> Envelope:
    """Wrap a typed payload. Correlation follows the cause, else the current request id."""
    from libs.events.registry import schema_info

    info = schema_info(type(data))
    correlation = (causation.correlationid if causation else None) or correlation_id_var.get() \
        or request_id_var.get()
    return Envelope(
        id=event_id or str(uuid.uuid4()),
        source=source,
        type=info.type,
        dataversion=info.version,
        subject=subject,
        time=at or datetime.now(timezone.utc),
        correlationid=correlation,
        causationid=causation.id if causation else None,
        traceparent=current_traceparent(),
        data=data.model_dump(mode="json"),
    )
