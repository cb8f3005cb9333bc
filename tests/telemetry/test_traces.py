"""Traces: producer spans carry their context in the message; each run's CONSUMER span links to
it and is the parent of what the task traces."""

from datetime import UTC, datetime, timedelta

from docket import Docket, Retry, Worker
from docket._kernels import trace_context
from docket._speedups import decode_envelope
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from .conftest import Otel


class Boom(Exception):
    pass


async def test_a_run_is_linked_to_its_add_and_parents_the_task_spans(
    otel: Otel, docket: Docket
) -> None:
    tracer = trace.get_tracer("app")

    async def send_invoice(number: int) -> None:
        with tracer.start_as_current_span("render pdf"):
            pass

    with tracer.start_as_current_span("http request") as request:
        await docket.add(send_invoice, key="invoice-7")(7)
    async with Worker(docket, name="tracer") as worker:
        await worker.run_until_finished()

    (add,) = otel.spans("docket.add")
    assert add.kind == SpanKind.PRODUCER
    assert add.parent is not None
    assert add.parent.span_id == request.get_span_context().span_id
    assert add.attributes is not None
    assert add.attributes["docket.key"] == "invoice-7"
    assert add.attributes["docket.task"] == "send_invoice"
    (run,) = otel.spans("send_invoice")
    assert run.kind == SpanKind.CONSUMER
    assert run.parent is None  # a trace of its own, linked to the add
    assert [link.context.span_id for link in run.links] == [add.context.span_id]
    assert run.attributes is not None
    assert run.attributes["docket.key"] == "invoice-7"
    assert run.attributes["docket.attempt"] == 1
    assert run.attributes["docket.worker"] == "tracer"
    assert run.attributes["docket.name"] == docket.name
    assert run.status.status_code == StatusCode.OK
    (child,) = otel.spans("render pdf")
    assert child.parent is not None
    assert child.parent.span_id == run.context.span_id
    assert child.context.trace_id == run.context.trace_id


async def test_a_failure_is_recorded_and_the_retry_links_to_the_failed_run(
    otel: Otel, docket: Docket
) -> None:
    runs = 0

    async def flaky(retry: Retry = Retry(attempts=2)) -> None:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise Boom("boom")

    await docket.add(flaky)()
    async with Worker(docket) as worker:
        await worker.run_until_finished()

    first, second = sorted(otel.spans("flaky"), key=lambda span: span.start_time or 0)
    assert first.status.status_code == StatusCode.ERROR
    assert first.status.description == "Boom: boom"
    (event,) = first.events
    assert event.name == "exception"
    assert event.attributes is not None
    assert str(event.attributes["exception.type"]).endswith("Boom")
    assert second.attributes is not None
    assert second.attributes["docket.attempt"] == 2
    assert second.status.status_code == StatusCode.OK
    assert [link.context.span_id for link in second.links] == [first.context.span_id]


async def test_replace_and_cancel_have_producer_spans(otel: Otel, docket: Docket) -> None:
    async def later() -> None:
        pass

    when = datetime.now(UTC) + timedelta(hours=1)
    await docket.replace(later, when=when, key="k")()
    assert await docket.cancel("k")

    (replace,) = otel.spans("docket.replace")
    (cancel,) = otel.spans("docket.cancel")
    assert replace.kind == cancel.kind == SpanKind.PRODUCER
    assert cancel.attributes is not None
    assert cancel.attributes["docket.key"] == "k"


async def test_the_envelope_carries_the_trace_context_only_while_tracing(
    otel: Otel, docket: Docket
) -> None:
    async def noted() -> None:
        pass

    when = datetime.now(UTC) + timedelta(hours=1)
    await docket.add(noted, when=when, key="traced")()
    async with Docket(name=docket.name, url=docket.url) as plain:  # opened: no SDK
        plain._telemetry = None
        await plain.add(noted, when=when, key="plain")()
        traced_execution = await plain.get_execution("traced")
        assert traced_execution is not None  # a traced envelope decodes for any client

    stored = {key: await _parked(docket, key) for key in ("traced", "plain")}
    (add,) = otel.spans("docket.add")
    carrier = trace_context(stored["traced"])
    assert carrier is not None
    assert carrier["traceparent"].split("-")[2] == f"{add.context.span_id:016x}"
    assert trace_context(stored["plain"]) is None
    assert stored["plain"][0] == 0x97  # the 7-field envelope, not one byte more
    assert decode_envelope(stored["traced"])[1] == "traced"


async def _parked(docket: Docket, key: str) -> bytes:
    """The stored envelope of the execution of `key` parked for later."""
    payload = await docket.backend.client.hget(docket.keys.task(key), "p")
    assert isinstance(payload, bytes)
    return payload
