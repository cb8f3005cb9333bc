"""What OpenTelemetry costs the drain of 10,000 queued no-op tasks at concurrency 100.

Three set-ups: no SDK (docket records nothing: no instrument, no span), an SDK MeterProvider
(every run counted, its duration and punctuality recorded), and a MeterProvider plus a
TracerProvider (each run also a CONSUMER span, batched to an exporter that drops them). The
queue is filled untimed; records are off, so the figures show telemetry's own cost.
"""

from collections.abc import Sequence

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from tests.telemetry.sdk import install_providers, reset_providers

from ._support import Benchmark, median, report, run_rounds, timed_drain
from .bench_worker_throughput import Backlog, close
from .bench_worker_throughput import queue_tasks as fill

TASKS = 10_000
ROUNDS = 3
ENQUEUE_BATCH = 250
SETUPS = ["no SDK", "metrics", "metrics and traces"]


class DroppingExporter(SpanExporter):
    """Takes the spans and throws them away: the cost of making them, not of shipping them."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def install(setup: str) -> None:
    meter_provider = tracer_provider = None
    if setup != "no SDK":
        meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    if setup == "metrics and traces":
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(BatchSpanProcessor(DroppingExporter()))
    install_providers(meter_provider, tracer_provider)


async def queue_tasks(redis_url: str, setup: str) -> Backlog:
    install(setup)  # before the Docket opens: it looks for the providers then
    return await fill(redis_url, "off")


@pytest.mark.timeout(300)
@pytest.mark.parametrize("setup", SETUPS)
def test_drain_with_telemetry(benchmark: Benchmark, redis_url: str, setup: str) -> None:
    async def drain(backlog: Backlog) -> float:
        return await timed_drain(backlog.docket, backlog.ran, concurrency=100, expected=TASKS)

    try:
        seconds = run_rounds(
            benchmark,
            prepare=lambda: queue_tasks(redis_url, setup),
            measure=drain,
            cleanup=close,
            rounds=ROUNDS,
        )
    finally:
        reset_providers()
    report(
        benchmark, f"drain 10k no-ops, concurrency 100, {setup}", TASKS / median(seconds), "tasks/s"
    )
