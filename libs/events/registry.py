"""Typed, versioned payload schemas: type → schema, and upcasters from old versions.

A schema is declared once::

    @event_type("alliance.registry.doctor.registered", version=2)
    class DoctorRegistered(EventData): ...

    @upcaster("alliance.registry.doctor.registered", from_version=1)
    def _v1_to_v2(data: dict) -> dict: ...

Reading an old event upcasts its ``data`` step by step to the current version before validation,
so handlers only ever see the current schema.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from libs.events.envelope import Envelope


class EventData(BaseModel):
    """Base of every payload: strict about unknown fields so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class SchemaInfo:
    type: str
    version: int
    model: builtins.type[EventData]


class UnknownEventType(Exception):
    pass


class InvalidEventData(Exception):
    pass


_BY_TYPE: dict[str, SchemaInfo] = {}
_BY_MODEL: dict[type[EventData], SchemaInfo] = {}
_UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {}

T = TypeVar("T", bound=type[EventData])


def event_type(name: str, *, version: int = 1) -> Callable[[T], T]:
    def register(model: T) -> T:
        existing = _BY_TYPE.get(name)
        if existing is not None and existing.model is not model:
            raise RuntimeError(f"event type {name} registered twice")
        info = SchemaInfo(name, version, model)
        _BY_TYPE[name] = info
        _BY_MODEL[model] = info
        return model

    return register


def upcaster(name: str, *, from_version: int) -> Callable[[Callable[[dict[str, Any]], dict[str, Any]]],
                                                          Callable[[dict[str, Any]], dict[str, Any]]]:
    def register(fn: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
        _UPCASTERS[(name, from_version)] = fn
        return fn

    return register


def schema_info(model: type[EventData]) -> SchemaInfo:
    try:
        return _BY_MODEL[model]
    except KeyError:
        raise UnknownEventType(f"{model.__name__} is not registered with @event_type") from None


def known_types() -> dict[str, SchemaInfo]:
    return dict(_BY_TYPE)


@dataclass(frozen=True)
class Event:
    """What a handler receives: the envelope and its payload, upcast and validated."""

    envelope: Envelope
    data: EventData

    @property
    def id(self) -> str:
        return self.envelope.id

    @property
    def type(self) -> str:
        return self.envelope.type


def decode(envelope: Envelope) -> Event:
    info = _BY_TYPE.get(envelope.type)
    if info is None:
        raise UnknownEventType(f"unknown event type {envelope.type}")
    data, version = dict(envelope.data), envelope.dataversion
    if version > info.version:
        raise InvalidEventData(f"{envelope.type} v{version} is newer than this reader (v{info.version})")
    while version < info.version:
        step = _UPCASTERS.get((envelope.type, version))
        if step is None:
            raise InvalidEventData(f"no upcaster for {envelope.type} v{version}")
        data, version = step(data), version + 1
    try:
        return Event(envelope, info.model.model_validate(data))
    except ValidationError as exc:
        raise InvalidEventData(str(exc)) from exc
