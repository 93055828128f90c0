"""Subjects and streams. One stream per producing service: ``alliance.<service>.>``, file storage.

``namespace`` prefixes every subject and stream so tests (or tenants) sharing one server never see each
other's events.
"""

from __future__ import annotations

import logging

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

log = logging.getLogger("events.streams")

DUPLICATE_WINDOW_SECONDS = 120.0


def subject_for(namespace: str, event_type: str) -> str:
    return f"{namespace}{event_type}"


def service_of(event_type: str) -> str:
    """``alliance.points.entry.recorded`` → ``points``."""
    return event_type.split(".")[1]


def stream_name(namespace: str, service: str) -> str:
    prefix = namespace.rstrip(".").replace(".", "_").upper()
    return f"{prefix + '_' if prefix else ''}ALLIANCE_{service.upper()}"


def stream_subjects(namespace: str, service: str) -> list[str]:
    return [f"{namespace}alliance.{service}.>"]


async def ensure_stream(js: JetStreamContext, namespace: str, service: str, *, replicas: int = 1,
                        duplicate_window: float = DUPLICATE_WINDOW_SECONDS,
                        max_bytes: int | None = None) -> str:
    """Create the stream if missing. File storage: these streams feed the ledger."""
    name = stream_name(namespace, service)
    config = StreamConfig(
        name=name, subjects=stream_subjects(namespace, service), storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS, discard=DiscardPolicy.NEW, num_replicas=replicas,
        duplicate_window=duplicate_window, max_bytes=max_bytes if max_bytes is not None else -1,
    )
    try:
        await js.add_stream(config)
    except BadRequestError as exc:
        if "already in use" not in str(exc.description or ""):
            raise
    return name
