"""OpenTelemetry tracing (FastAPI, asyncpg, aiokafka, Redis) and JSON logs carrying the trace id.

The trace context crosses the asynchronous hops explicitly: `outbox.enqueue` stores the caller's
`traceparent` in the outbox row, the relay publishes it as a Kafka header, and the consumer
runner continues the trace, so one trace spans HTTP -> outbox -> Kafka -> consumer.
"""

from __future__ import annotations

import logging
import sys

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, TraceIdRatioBased
from pythonjsonlogger.json import JsonFormatter

from libs.settings import ServiceSettings

_configured = False
_instrumented = False
"""Whether spans are exported, and so whether libraries and apps are instrumented at all."""


def configure_tracing(
    service_name: str, settings: ServiceSettings, extra_exporter: SpanExporter | None = None,
) -> None:
    """Install the process-wide tracer provider and library instrumentations (once).

    With nowhere to send spans, nothing is instrumented: a span per query, Redis command and
    HTTP request costs a tenth of a hot route's time for traces nobody receives. The services'
    own spans (consumer, outbox) stay, unsampled, so trace context still travels with events.
    Setting `OTEL_EXPORTER_OTLP_ENDPOINT` turns everything on."""
    global _configured, _instrumented
    if _configured:
        return
    exporting = bool(settings.otel_exporter_otlp_endpoint or settings.otel_console_exporter
                     or extra_exporter)
    sampler = (ParentBased(TraceIdRatioBased(settings.otel_sample_ratio)) if exporting
               else ParentBased(ALWAYS_OFF))
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}),
                              sampler=sampler)
    if settings.otel_exporter_otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    if settings.otel_console_exporter:
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    if extra_exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(extra_exporter))
    trace.set_tracer_provider(provider)
    _configured = True
    if not exporting:
        return

    from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    instrumentors = (AsyncPGInstrumentor(), AIOKafkaInstrumentor(),  # type: ignore[no-untyped-call]
                     RedisInstrumentor())
    for instrumentor in instrumentors:
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument()
    _instrumented = True


def instrument_app(app: FastAPI) -> None:
    if not _instrumented:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    # The ASGI receive/send sub-spans add little and cost a lot on hot read paths. Long-lived
    # streams (a WebSocket at `.../ws`, Server-Sent Events at `.../events`) are not one
    # request: a span lasting hours helps nobody, and wrapping every frame costs fan-out time.
    FastAPIInstrumentor.instrument_app(app, excluded_urls=",".join(UNTRACED_URLS),
                                       exclude_spans=["receive", "send"])


UNTRACED_URLS = ["healthz", "readyz", "/ws$", "/events$"]


class _TraceContextFilter(logging.Filter):
    def __init__(self, service_name: str) -> None:
        super().__init__()
        self.service_name = service_name

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        record.service = self.service_name
        if context.is_valid:
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
        return True


def configure_logging(service_name: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(
        "{asctime}{levelname}{name}{message}", style="{",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
    ))
    handler.addFilter(_TraceContextFilter(service_name))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel("WARNING")
