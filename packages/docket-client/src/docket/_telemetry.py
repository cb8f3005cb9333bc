"""OpenTelemetry metrics and traces, at no cost when OpenTelemetry is not in use.

Nothing here imports opentelemetry unless the process already has (an application that set up
an SDK did). When a Docket or a Worker opens, `instruments` and `tracer` look once whether a real
MeterProvider or TracerProvider is configured: if not, they return None and the hot paths test
one attribute. So configure the SDK before opening the Docket and the Worker.

Names follow pydocket: meter ``docket``, tracers ``docket.docket`` (producer) and
``docket.worker``, attributes ``docket.name``, ``docket.worker``, ``docket.task``, ``docket.key``.
"""

import dataclasses
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._kernels import add_trace_context

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, Histogram, Meter, Observation
    from opentelemetry.trace import Tracer

    from ._calls import Call
    from ._execution import Execution

METER_NAME = "docket"
PRODUCER_TRACER = "docket.docket"
WORKER_TRACER = "docket.worker"
SECONDS_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
"""Histogram buckets in seconds (the SDK's default ones suit milliseconds)."""
MAX_LABEL_SETS = 1000
"""Attribute dicts kept per Docket or Worker (one per task name), a bound for by-name adds."""

DEPTHS: dict[str, tuple[int, int]] = {}
"""(queued, scheduled) of each docket a worker of this process watches, as last read; the
docket_queue_depth and docket_schedule_depth gauges report these."""


class Tally:
    """A sum kept in this process and handed to OpenTelemetry when it collects (an observable
    counter): an add is a dict update, not an SDK call, which costs tens of microseconds."""

    __slots__ = ("_sums",)

    def __init__(self) -> None:
        self._sums: dict[frozenset[tuple[str, str]], int] = {}

    def add(self, amount: int, attributes: Mapping[str, str]) -> None:
        key = frozenset(attributes.items())
        self._sums[key] = self._sums.get(key, 0) + amount

    def observe(self, _options: "CallbackOptions") -> "Iterable[Observation]":
        from opentelemetry.metrics import Observation

        return [Observation(total, dict(key)) for key, total in list(self._sums.items())]


@dataclass(frozen=True, slots=True)
class Instruments:
    """docket's instruments on one MeterProvider: tallies for the sums, SDK histograms."""

    added: Tally
    replaced: Tally
    scheduled: Tally
    cancelled: Tally
    stricken: Tally
    started: Tally
    redelivered: Tally
    completed: Tally
    succeeded: Tally
    failed: Tally
    retried: Tally
    perpetuated: Tally
    dead_lettered: Tally
    duration: "Histogram"
    punctuality: "Histogram"
    running: Tally


COUNTERS = {
    "added": "How many tasks added to the docket",
    "replaced": "How many tasks replaced on the docket",
    "scheduled": "How many tasks added or replaced on the docket",
    "cancelled": "How many tasks cancelled from the docket",
    "stricken": "How many tasks have been stricken from executing",
    "started": "How many tasks started",
    "redelivered": "How many tasks started that were redelivered from another worker",
    "completed": "How many tasks that have completed in any state",
    "succeeded": "How many tasks that have succeeded",
    "failed": "How many tasks that have failed",
    "retried": "How many tasks that have been retried",
    "perpetuated": "How many tasks that have been self-perpetuated",
    "dead_lettered": "How many messages no worker could run went to the dead-letter stream",
}

_made: tuple[object, Instruments] | None = None


def configured(provider: object) -> bool:
    """Whether `provider` is a real one, not the API's own no-op or proxy (no SDK set up)."""
    module = type(provider).__module__
    return not module.startswith(("opentelemetry.metrics", "opentelemetry.trace"))


def instruments() -> Instruments | None:
    """docket's instruments when a MeterProvider is configured, else None."""
    global _made
    if sys.modules.get("opentelemetry") is None:  # not imported (or blocked): not in use
        return None
    from opentelemetry import metrics

    provider = metrics.get_meter_provider()
    if not configured(provider):
        return None
    if _made is None or _made[0] is not provider:
        _made = (provider, _create(provider.get_meter(METER_NAME)))
    return _made[1]


def _create(meter: "Meter") -> Instruments:
    counters = {field: Tally() for field in COUNTERS}
    for field, text in COUNTERS.items():
        meter.create_observable_counter(
            f"docket_tasks_{field}", callbacks=[counters[field].observe], unit="1", description=text
        )
    running = Tally()
    meter.create_observable_up_down_counter(
        "docket_tasks_running",
        callbacks=[running.observe],
        unit="1",
        description="How many tasks that are currently running",
    )
    meter.create_observable_gauge(
        "docket_queue_depth",
        callbacks=[_depth(0)],
        unit="1",
        description="How many tasks are due to be executed now",
    )
    meter.create_observable_gauge(
        "docket_schedule_depth",
        callbacks=[_depth(1)],
        unit="1",
        description="How many tasks are scheduled to be executed in the future",
    )
    return Instruments(
        **counters,
        duration=meter.create_histogram(
            "docket_task_duration",
            unit="s",
            description="How long tasks take to complete",
            explicit_bucket_boundaries_advisory=SECONDS_BUCKETS,
        ),
        punctuality=meter.create_histogram(
            "docket_task_punctuality",
            unit="s",
            description="How close a task was to its scheduled time",
            explicit_bucket_boundaries_advisory=SECONDS_BUCKETS,
        ),
        running=running,
    )


def _depth(index: int) -> "Callable[[CallbackOptions], Iterable[Observation]]":
    from opentelemetry.metrics import Observation

    def observe(_options: "CallbackOptions") -> Iterable[Observation]:
        return [
            Observation(depths[index], {"docket.name": name}) for name, depths in DEPTHS.items()
        ]

    return observe


def tracer(name: str) -> "Tracer | None":
    """The tracer `name` when a TracerProvider is configured, else None."""
    if sys.modules.get("opentelemetry") is None:  # not imported (or blocked): not in use
        return None
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    return provider.get_tracer(name) if configured(provider) else None


def current_carrier() -> dict[str, str]:
    """The current trace context as the global propagator writes it (traceparent, ...)."""
    from opentelemetry import propagate

    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def traced_call(call: "Call") -> "Call":
    """`call` whose envelope carries the current trace context, if there is one."""
    carrier = current_carrier()
    if not carrier:
        return call
    return dataclasses.replace(call, payload=add_trace_context(call.payload, carrier))


class Labels:
    """The attribute dicts of a Docket or Worker, one per task name, built once."""

    def __init__(self, base: Mapping[str, str]) -> None:
        self.base = dict(base)
        self._by_task: dict[str, Mapping[str, str]] = {}

    def __call__(self, task: str) -> Mapping[str, str]:
        labels = self._by_task.get(task)
        if labels is None:
            labels = {**self.base, "docket.task": task}
            if len(self._by_task) < MAX_LABEL_SETS:
                self._by_task[task] = labels
        return labels


class ProducerTelemetry:
    """What a Docket records of its adds, replaces and cancels: metrics, spans, or both."""

    def __init__(self, name: str, metrics: Instruments | None, tracer: "Tracer | None") -> None:
        self.name = name
        self.metrics = metrics
        self.tracer = tracer
        self.labels = Labels({"docket.name": name})

    async def schedule(
        self, call: "Call", replace: bool, send: "Callable[[Call], Awaitable[Execution]]"
    ) -> "Execution":
        """`send(call)` inside a docket.add (or docket.replace) span, counted."""
        if self.tracer is None:
            execution = await send(call)
        else:
            from opentelemetry.trace import SpanKind

            e = call.execution
            with self.tracer.start_as_current_span(
                "docket.replace" if replace else "docket.add",
                kind=SpanKind.PRODUCER,
                attributes={
                    **self.labels(e.function_name),
                    "docket.key": e.key,
                    "docket.when": e.when.isoformat(),
                    "docket.attempt": e.attempt,
                    "code.function.name": e.function_name,
                },
            ) as span:
                execution = await send(traced_call(call))
                if call.generated:  # its key is known only now (see docket._generated)
                    span.set_attribute("docket.key", execution.key)
                span.set_attribute("docket.disposition", execution.disposition.value)
        self.count([execution], replace)
        return execution

    def count(self, executions: Iterable["Execution"], replace: bool) -> None:
        metrics = self.metrics
        if metrics is None:
            return
        for execution in executions:
            labels = self.labels(execution.function_name)
            if execution.struck:
                metrics.stricken.add(1, {**labels, "docket.where": "docket"})
                continue
            (metrics.replaced if replace else metrics.added).add(1, labels)
            metrics.scheduled.add(1, labels)

    def traced_calls(self, calls: Iterable["Call"]) -> "Iterable[Call]":
        """Bulk adds: each envelope carries the current trace context (no span of its own)."""
        if self.tracer is None:
            return calls
        return [traced_call(call) for call in calls]

    async def cancel(self, key: str, send: Callable[[], Awaitable[bool]]) -> bool:
        """`send()` inside a docket.cancel span, counted."""
        if self.tracer is None:
            cancelled = await send()
        else:
            from opentelemetry.trace import SpanKind

            with self.tracer.start_as_current_span(
                "docket.cancel",
                kind=SpanKind.PRODUCER,
                attributes={"docket.name": self.name, "docket.key": key},
            ):
                cancelled = await send()
        if self.metrics is not None:
            self.metrics.cancelled.add(1, self.labels.base)
        return cancelled


def producer_telemetry(name: str) -> ProducerTelemetry | None:
    """A Docket's telemetry, or None when neither metrics nor traces are configured."""
    metrics, producer_tracer = instruments(), tracer(PRODUCER_TRACER)
    if metrics is None and producer_tracer is None:
        return None
    return ProducerTelemetry(name, metrics, producer_tracer)
