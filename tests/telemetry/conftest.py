"""An OpenTelemetry SDK set up for one test: metrics in memory, spans in memory.

The API lets a process set its providers once; the `otel` fixture resets them afterwards, so
the rest of the suite runs without an SDK, as most applications do.
"""

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from docket import Docket
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.helpers import assert_consistent

from .sdk import install_providers, reset_providers


@dataclass
class Otel:
    """What the SDK of this test collected."""

    reader: InMemoryMetricReader
    exporter: InMemorySpanExporter
    tracer_provider: TracerProvider

    def points(self, name: str, docket: str) -> list[Any]:
        """The data points of metric `name` whose docket.name is `docket`."""
        data = self.reader.get_metrics_data()
        found = []
        for resource in data.resource_metrics if data else []:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        found += [
                            point
                            for point in metric.data.data_points
                            if (point.attributes or {}).get("docket.name") == docket
                        ]
        return found

    def by_task(self, name: str, docket: str) -> dict[str, float]:
        """A counter's (or up-down counter's) value per docket.task; histograms: their count."""
        values: dict[str, float] = {}
        for point in self.points(name, docket):
            task = str((point.attributes or {}).get("docket.task", ""))
            value = point.count if hasattr(point, "count") else point.value
            values[task] = values.get(task, 0) + value
        return values

    def spans(self, name: str | None = None) -> list[ReadableSpan]:
        spans = list(self.exporter.get_finished_spans())
        return [span for span in spans if name is None or span.name == name]


@pytest.fixture
def otel() -> Iterator[Otel]:
    reader = InMemoryMetricReader()
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    meter_provider = MeterProvider(metric_readers=[reader])
    install_providers(meter_provider, tracer_provider)
    try:
        yield Otel(reader, exporter, tracer_provider)
    finally:
        reset_providers()
        meter_provider.shutdown()
        tracer_provider.shutdown()


@pytest.fixture
async def docket(otel: Otel, docket_url: str) -> AsyncIterator[Docket]:
    """The suite's docket, opened once the SDK is set up (a Docket looks for it on opening)."""
    async with Docket(name=f"test-{uuid.uuid4().hex}", url=docket_url) as opened:
        yield opened
        await assert_consistent(opened)
