"""Tracing configuration from the standard OpenTelemetry variables, and log lines carrying the trace id."""

from __future__ import annotations

import json
import logging

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import ConsoleSpanExporter

from libs.kit.logging import JsonFormatter
from libs.kit.tracing import _exporter, configure_tracing, current_traceparent, inject_headers, tracer


class TestExporterChoice:
    @pytest.mark.parametrize("name,kind", [("none", type(None)), ("", type(None)), ("console", ConsoleSpanExporter),
                                           ("otlp", OTLPSpanExporter)])
    def test_standard_names(self, name: str, kind: type) -> None:
        assert isinstance(_exporter(name), kind)

    def test_an_unknown_exporter_fails_the_start(self) -> None:
        with pytest.raises(ValueError, match="OTEL_TRACES_EXPORTER"):
            _exporter("zipkin")


class TestPropagation:
    def test_traceparent_only_inside_a_span(self) -> None:
        configure_tracing("tracing-unit")
        assert current_traceparent() is None
        with tracer().start_as_current_span("work") as span:
            trace_id = format(span.get_span_context().trace_id, "032x")
            span_id = format(span.get_span_context().span_id, "016x")
            assert current_traceparent() is not None
            assert inject_headers({})["traceparent"].startswith(f"00-{trace_id}-{span_id}-")

    def test_log_lines_written_in_a_span_carry_its_trace_id(self) -> None:
        configure_tracing("tracing-unit")
        formatter = JsonFormatter("tracing-unit")
        with tracer().start_as_current_span("work") as span:
            record = logging.getLogger("x").makeRecord("x", logging.INFO, __file__, 1, "hello", (), None)
        line = json.loads(formatter.format(record))
        assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
