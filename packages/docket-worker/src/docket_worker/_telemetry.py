"""A worker's metrics and spans (see docket._telemetry): only built when an SDK is configured.

Each run is counted (started, running, punctuality, duration, and how it ended) and, with a
TracerProvider, runs inside a CONSUMER span named after the task: a new trace, linked to the
span that added the message, and the parent of whatever the task traces itself.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, cast

from docket import Execution
from docket._kernels import add_trace_context, trace_context
from docket._scripts import AckEntry
from docket._signing import unsigned
from docket._telemetry import (
    DEPTHS,
    WORKER_TRACER,
    Instruments,
    Labels,
    current_carrier,
    instruments,
    tracer,
)

from ._outcome import Outcome

if TYPE_CHECKING:
    from opentelemetry.trace import Link, Tracer

    from ._worker import Worker

Result = tuple[Outcome, AckEntry] | None
DEPTH_INTERVAL = 5.0
"""Seconds between reads of the docket's queue and schedule depths (two O(1) commands)."""


class WorkerTelemetry:
    """What a worker records of the runs it starts."""

    def __init__(
        self, worker: "Worker", metrics: Instruments | None, tracer: "Tracer | None"
    ) -> None:
        self.worker = worker
        self.metrics = metrics
        self.tracer = tracer
        self.labels = Labels({"docket.name": worker.docket.name, "docket.worker": worker.name})

    async def observe(
        self, execution: Execution, envelope: bytes, run: Awaitable[Result]
    ) -> Result:
        """Await `run` (the execution of `execution`), counted and traced."""
        labels = self.labels(execution.function_name)
        metrics = self.metrics
        if metrics is not None:
            metrics.started.add(1, labels)
            if execution.redelivered_from is not None:
                metrics.redelivered.add(1, labels)
            metrics.running.add(1, labels)
            lateness_ms = self.worker.docket.now_ms() - execution.when_ms
            metrics.punctuality.record(lateness_ms / 1000, labels)
        started = time.perf_counter()
        try:
            if self.tracer is None:
                result = await run
            else:
                result = await self._traced(execution, envelope, run)
        finally:
            if metrics is not None:
                metrics.running.add(-1, labels)
        if metrics is not None and result is not None:
            metrics.duration.record(time.perf_counter() - started, labels)
            self._count(metrics, result, labels)
        return result

    @staticmethod
    def _count(
        metrics: Instruments, result: tuple[Outcome, AckEntry], attributes: Mapping[str, str]
    ) -> None:
        outcome, entry = result
        metrics.completed.add(1, attributes)
        if outcome == "succeeded":
            metrics.succeeded.add(1, attributes)
        elif outcome in ("failed", "retried"):
            metrics.failed.add(1, attributes)
            if outcome == "retried":
                metrics.retried.add(1, attributes)
        if entry[0] == "r" and outcome != "retried":  # the settlement schedules the next run
            metrics.perpetuated.add(1, attributes)

    async def _traced(
        self, execution: Execution, envelope: bytes, run: Awaitable[Result]
    ) -> Result:
        from opentelemetry.context import Context
        from opentelemetry.trace import SpanKind, Status, StatusCode

        assert self.tracer is not None
        with self.tracer.start_as_current_span(
            execution.function_name,
            context=Context(),  # a new trace: the producer's span is linked, not the parent
            kind=SpanKind.CONSUMER,
            links=_links(envelope),
            attributes={
                **self.labels(execution.function_name),
                "docket.key": execution.key,
                "docket.when": execution.when.isoformat(),
                "docket.attempt": execution.attempt,
                "code.function.name": execution.function_name,
            },
            record_exception=False,  # a task's failure is recorded by `failed`
            set_status_on_exception=False,
        ) as span:
            result = await run
            if result is None:
                return None
            outcome, entry = result
            if outcome == "succeeded":
                span.set_status(Status(StatusCode.OK))
            if entry[0] == "r":  # a retry or the next run: linked to this span in turn
                entry = _with_trace(entry)
            return outcome, entry

    def failed(self, error: BaseException) -> None:
        """Record a task's exception on its span (the current one)."""
        if self.tracer is None:
            return
        from opentelemetry.trace import Status, StatusCode, get_current_span

        span = get_current_span()
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))

    def dead_lettered(self) -> None:
        if self.metrics is not None:
            self.metrics.dead_lettered.add(1, self.labels.base)

    def stricken(self, execution: Execution) -> None:
        if self.metrics is not None:
            labels = self.labels(execution.function_name)
            self.metrics.stricken.add(1, {**labels, "docket.where": "worker"})

    def loops(self) -> list[Callable[[], Awaitable[None]]]:
        """The worker loops telemetry needs: the depth reads, with metrics on."""
        return [] if self.metrics is None else [self.read_depths]

    async def read_depths(self) -> None:
        """Keep DEPTHS up to date for this docket while the worker runs."""
        docket = self.worker.docket
        try:
            while True:
                backlogs = [await d.backend.backlog() for d in docket._views or [docket]]
                DEPTHS[docket.name] = (sum(b[0] for b in backlogs), sum(b[1] for b in backlogs))
                await asyncio.sleep(DEPTH_INTERVAL)
        finally:
            DEPTHS.pop(docket.name, None)


def _links(envelope: bytes) -> "list[Link]":
    carrier = trace_context(unsigned(envelope))
    if not carrier:
        return []
    from opentelemetry.propagate import extract
    from opentelemetry.trace import Link, get_current_span

    context = get_current_span(extract(carrier)).get_span_context()
    return [Link(context)] if context.is_valid else []


def _with_trace(entry: AckEntry) -> AckEntry:
    payload = entry[4]
    carrier = current_carrier()
    if not carrier or not isinstance(payload, bytes):
        return entry
    return cast(AckEntry, (*entry[:4], add_trace_context(payload, carrier), *entry[5:]))


def worker_telemetry(worker: "Worker") -> WorkerTelemetry | None:
    """A worker's telemetry, or None when neither metrics nor traces are configured."""
    metrics, worker_tracer = instruments(), tracer(WORKER_TRACER)
    if metrics is None and worker_tracer is None:
        return None
    return WorkerTelemetry(worker, metrics, worker_tracer)
