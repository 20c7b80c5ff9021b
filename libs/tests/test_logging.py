"""JSON logs carry the trace id of the span they were written in (unit)."""

from __future__ import annotations

import io
import json
import logging

from opentelemetry import trace

from libs.telemetry import configure_logging


def test_a_log_line_inside_a_span_carries_its_trace_id() -> None:
    configure_logging("catalog")
    stream = io.StringIO()
    handler = logging.getLogger().handlers[0]
    original = handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        with trace.get_tracer("t").start_as_current_span("work") as span:
            logging.getLogger("catalog.test").warning("stock low for %s", "sku-1")
    finally:
        handler.setStream(original)  # type: ignore[attr-defined]
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["message"] == "stock low for sku-1"
    assert line["service"] == "catalog" and line["level"] == "WARNING"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
