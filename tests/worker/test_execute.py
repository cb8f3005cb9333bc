"""The worker runs what clients schedule, and dead-letters what it cannot run."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from docket import Docket, Worker
from docket._speedups import encode_envelope
from docket._time import now_ms

from ..helpers import wait_until

StartWorker = Callable[[Worker], "asyncio.Task[None]"]
WorkerFactory = Callable[..., Awaitable[Worker]]


async def test_worker_runs_an_immediate_task_with_its_arguments(
    docket: Docket, worker: Worker
) -> None:
    seen: list[tuple[int, str]] = []

    async def greet(customer_id: int, name: str) -> None:
        seen.append((customer_id, name))

    await docket.add(greet)(12345, "Jane Smith")
    await worker.run_until_finished()

    assert seen == [(12345, "Jane Smith")]


async def test_future_task_runs_no_earlier_than_its_when(docket: Docket, worker: Worker) -> None:
    started: list[datetime] = []

    async def later() -> None:
        started.append(datetime.now(UTC))

    when = datetime.now(UTC) + timedelta(milliseconds=200)
    await docket.add(later, when=when)()
    await worker.run_until_finished()

    assert len(started) == 1
    assert started[0] >= when


async def test_task_added_by_name_runs_the_registered_function(
    docket: Docket, worker: Worker
) -> None:
    seen: list[tuple[int, str]] = []

    async def send_followup_email(customer_id: int, name: str) -> None:
        seen.append((customer_id, name))

    docket.register(send_followup_email)
    await docket.add("send_followup_email")(12345, name="Jane Smith")
    await worker.run_until_finished()

    assert seen == [(12345, "Jane Smith")]


async def test_each_added_task_runs_once(docket: Docket, worker: Worker) -> None:
    seen: list[int] = []

    async def record(number: int) -> None:
        seen.append(number)

    for number in range(25):
        await docket.add(record)(number)
    await worker.run_until_finished()

    assert sorted(seen) == list(range(25))


async def dead_letters(docket: Docket) -> list[dict[bytes, bytes]]:
    """The entries of the docket's dead-letter stream, oldest first."""
    client: Any = docket.backend.client
    return [fields for _id, fields in await client.xrange(docket.keys.dead)]


async def test_task_nobody_registered_goes_to_the_dead_letter_stream_with_a_reason(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    ran: list[str] = []

    async def healthy() -> None:
        ran.append("healthy")

    await docket.add("no_such_task", key="orphan")(1, 2)
    await docket.add(healthy)()
    worker = await make_worker(unknown_task_grace=timedelta(0))
    await worker.run_until_finished()

    letters = await dead_letters(docket)
    assert len(letters) == 1
    assert letters[0][b"key"] == b"orphan"
    assert b"no_such_task" in letters[0][b"reason"]
    assert ran == ["healthy"]
    assert worker.statistics().dead_lettered == 1


async def test_key_of_a_dead_lettered_task_can_be_added_again(
    docket: Docket, make_worker: WorkerFactory, start_worker: StartWorker
) -> None:
    ran: list[str] = []

    await docket.add("late_task", key="late")("first")
    worker = await make_worker(unknown_task_grace=timedelta(0))
    start_worker(worker)
    await wait_until(lambda: worker.statistics().dead_lettered == 1, what="a dead letter")

    async def late_task(version: str) -> None:
        ran.append(version)

    await docket.add(late_task, key="late")("second")
    start_worker(worker)
    await wait_until(lambda: ran != [], what="the task added again to run")

    assert ran == ["second"]


async def test_undecodable_message_goes_to_the_dead_letter_stream_and_the_worker_keeps_going(
    docket: Docket, worker: Worker
) -> None:
    ran: list[str] = []

    async def healthy() -> None:
        ran.append("healthy")

    client: Any = docket.backend.client
    await client.xadd(docket.keys.stream, {"d": b"\xc1 not a docket message"})
    await docket.add(healthy)()
    await worker.run_until_finished()

    letters = await dead_letters(docket)
    assert len(letters) == 1
    assert letters[0][b"d"] == b"\xc1 not a docket message"
    assert letters[0][b"reason"]
    assert ran == ["healthy"]
    assert worker.statistics().dead_lettered == 1


async def test_arguments_that_cannot_be_unpickled_are_dead_lettered_and_free_their_key(
    docket: Docket, worker: Worker
) -> None:
    ran: list[str] = []

    async def send(label: str) -> None:
        ran.append(label)

    docket.register(send)
    # A message whose envelope is fine but whose pickled arguments are not (say, a client
    # with a class this worker lacks).
    payload = encode_envelope("order-1", "send", now_ms(), 1, "0123456789abcdef", b"\x80junk")
    await docket.backend.schedule(
        ("order-1", "0123456789abcdef", now_ms(), payload, True, False), replace=False
    )
    await worker.run_until_finished()

    [letter] = await docket.dead_letters()
    assert letter.key == "order-1"
    assert "cannot unpickle" in letter.reason
    assert (await docket.add(send, key="order-1")("again")).scheduled
    await worker.run_until_finished()
    assert ran == ["again"]


async def test_stop_returns_promptly_from_an_idle_worker(docket: Docket, worker: Worker) -> None:
    running = asyncio.create_task(worker.run_forever())
    await wait_until(lambda: worker.interruptible, what="the worker waiting for messages")

    started = time.monotonic()
    worker.stop()
    await running

    assert time.monotonic() - started < 0.5


async def test_stop_before_the_run_makes_the_run_return_at_once(
    docket: Docket, worker: Worker
) -> None:
    ran: list[int] = []

    async def record(n: int) -> None:
        ran.append(n)

    await docket.add(record)(1)
    worker.stop()
    await worker.run_forever()

    assert ran == []
