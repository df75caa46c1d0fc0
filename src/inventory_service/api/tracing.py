"""Optional OpenTelemetry tracing (opentelemetry-instrumentation-grpc): a span per call, on when
OTEL_TRACES_EXPORTER names an exporter (`otlp` or `console`), off otherwise (the default).

The standard OTEL_* variables configure it (OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT, ...,
read by the SDK itself). It needs the `tracing` extra (`pip install 'inventory-service[tracing]'`);
naming an exporter without it is a configuration error, not a silent no-op. Each server process
starts its own (the span processor has a thread, which must not exist before a fork)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

EXPORTER_ENV = "OTEL_TRACES_EXPORTER"
EXPORTERS = ("otlp", "console")


class TracingUnavailable(Exception):
    pass


@dataclass
class Tracing:
    interceptor: Any  # a grpc.aio.ServerInterceptor
    provider: Any  # opentelemetry.sdk.trace.TracerProvider

    def shutdown(self) -> None:
        """Exports the spans still buffered."""
        self.provider.shutdown()


def start_tracing(env: Mapping[str, str] | None = None) -> Tracing | None:
    """Tracing as configured by env (the process environment by default); None when off."""
    values = os.environ if env is None else env
    name = values.get(EXPORTER_ENV, "").strip().lower()
    if name in ("", "none"):
        return None
    if name not in EXPORTERS:
        raise TracingUnavailable(f"{EXPORTER_ENV}={name!r}: use one of {', '.join(EXPORTERS)}")
    try:
        from opentelemetry import trace
        from opentelemetry.instrumentation.grpc import aio_server_interceptor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
    except ImportError as error:
        raise TracingUnavailable(
            f"{EXPORTER_ENV} is set but tracing is not installed: "
            "pip install 'inventory-service[tracing]'"
        ) from error
    exporter: Any
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    else:
        exporter = ConsoleSpanExporter()
    service = values.get("OTEL_SERVICE_NAME", "").strip() or "inventory-service"
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    interceptor = aio_server_interceptor(tracer_provider=provider)  # type: ignore[no-untyped-call]
    return Tracing(interceptor, provider)
