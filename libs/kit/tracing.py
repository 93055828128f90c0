"""OpenTelemetry traces across gateway → service → NATS → consumer (W3C ``traceparent``).

- The gateway and each service get a SERVER span per request from FastAPI's native OpenTelemetry support
  (``FASTAPI_TELEMETRY``), continuing the caller's ``traceparent``; the gateway sends its own ``traceparent``
  upstream (``inject_headers``).
- An event written during a span carries it in its envelope (``new_envelope`` → ``Envelope.traceparent``); the
  outbox copies it into the NATS message headers.
- A consumer handles the event in a CONSUMER span whose parent is the producer's (``consumer_span``).

Export follows the standard OpenTelemetry variables: ``OTEL_TRACES_EXPORTER`` = ``none`` (default) | ``console`` |
``otlp`` (OTLP over HTTP: ``OTEL_EXPORTER_OTLP_ENDPOINT`` …), ``OTEL_SERVICE_NAME``, ``OTEL_TRACES_SAMPLER``.
Spans are made even with ``none``: ids still propagate and every log line written in a span carries ``trace_id``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACER_NAME = "alliance"
_PROPAGATOR = TraceContextTextMapPropagator()
_UNTRACED_PATHS = frozenset({"/health", "/ready", "/metrics"})
_state: dict[str, TracerProvider | None] = {"provider": None}


def configure_tracing(service: str) -> TracerProvider:
    """Install the process's tracer provider once (the first service name wins; one service per process)."""
    provider = _state["provider"]
    if provider is not None:
        return provider
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME") or service})
    provider = TracerProvider(resource=resource)
    exporter = _exporter(os.environ.get("OTEL_TRACES_EXPORTER", "none").strip().lower())
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _state["provider"] = provider
    _install_log_correlation()
    return provider


def add_span_processor(processor: SpanProcessor) -> None:
    """Attach another processor (e.g. an in-memory exporter in tests) to the configured provider."""
    provider = _state["provider"]
    if provider is None:
        raise RuntimeError("configure_tracing() first")
    provider.add_span_processor(processor)


def _exporter(name: str) -> SpanExporter | None:
    if name in ("", "none"):
        return None
    if name == "console":
        return ConsoleSpanExporter()
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    raise ValueError(f"OTEL_TRACES_EXPORTER={name!r}: expected none, console or otlp")


def _install_log_correlation() -> None:
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            record.trace_id = format(span_context.trace_id, "032x")
        return record

    logging.setLogRecordFactory(factory)


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME)


def current_traceparent() -> str | None:
    """The ``traceparent`` of the active span, or None outside any span."""
    return inject_headers({}).get("traceparent")


def inject_headers(headers: dict[str, str]) -> dict[str, str]:
    """Add the active span's ``traceparent`` (and ``tracestate``) to ``headers``; returns them."""
    _PROPAGATOR.inject(headers)
    return headers


def _parent(traceparent: str | None) -> otel_context.Context:
    return _PROPAGATOR.extract({"traceparent": traceparent} if traceparent else {})


@contextmanager
def consumer_span(consumer: str, *, traceparent: str | None, event_id: str, event_type: str) -> Iterator[None]:
    """The span a consumer handles one event in, a child of the span that wrote the event."""
    attributes = {"messaging.system": "nats", "messaging.consumer.group.name": consumer,
                  "messaging.message.id": event_id, "cloudevents.event_type": event_type}
    with tracer().start_as_current_span(f"process {event_type}", context=_parent(traceparent),
                                        kind=SpanKind.CONSUMER, attributes=attributes):
        yield


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in _UNTRACED_PATHS


# FastAPI's own OpenTelemetry instrumentation makes the SERVER span of every request (continuing the caller's
# traceparent) once a tracer provider is installed; probes and scrapes are left out.
FASTAPI_TELEMETRY: TelemetryConfig = {"exclude": _untraced}
