"""docket.add: schedule a call now or later, once per pending key."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from docket import Docket, Worker

from ..helpers import wait_until
from ._support import soon, stored_keys, tomorrow


async def test_add_returns_an_execution_due_now_under_a_fresh_random_key(docket: Docket) -> None:
    async def greet(name: str) -> None: ...

    before = datetime.now(UTC)
    first = await docket.add(greet)("Jane")
    second = await docket.add(greet)("Jane")

    assert first.function_name == "greet"
    assert first.args == ("Jane",)
    assert first.attempt == 1
    assert before - timedelta(milliseconds=1) <= first.when <= datetime.now(UTC)
    assert len(first.key) == 36
    assert first.key != second.key


async def test_added_task_runs_with_its_positional_and_keyword_arguments(
    docket: Docket, worker: Worker
) -> None:
    seen: list[tuple[int, str, bool]] = []

    async def greet(customer_id: int, name: str, *, loud: bool = False) -> None:
        seen.append((customer_id, name, loud))

    await docket.add(greet)(1, "Jane")
    await docket.add(greet)(2, name="John", loud=True)
    await worker.run_until_finished()

    assert sorted(seen) == [(1, "Jane", False), (2, "John", True)]


async def test_every_add_without_a_key_runs(docket: Docket, worker: Worker) -> None:
    runs: list[int] = []

    async def tick(number: int) -> None:
        runs.append(number)

    for number in range(5):
        await docket.add(tick)(number)
    await worker.run_until_finished()

    assert sorted(runs) == [0, 1, 2, 3, 4]


async def test_task_with_a_past_when_runs_right_away(docket: Docket, worker: Worker) -> None:
    runs: list[str] = []

    async def overdue() -> None:
        runs.append("ran")

    execution = await docket.add(overdue, when=datetime.now(UTC) - timedelta(hours=1))()
    await worker.run_until_finished()

    assert runs == ["ran"]
    assert execution.when < datetime.now(UTC) - timedelta(minutes=59)


async def test_future_task_reports_its_due_time_and_waits_for_it(
    docket: Docket, worker: Worker
) -> None:
    started: list[datetime] = []

    async def later() -> None:
        started.append(datetime.now(UTC))

    when = soon(50)
    execution = await docket.add(later, when=when)()
    await worker.run_until_finished()

    assert abs(execution.when - when) < timedelta(milliseconds=1)
    assert len(started) == 1
    assert started[0] >= when - timedelta(milliseconds=1)


async def test_adding_a_queued_key_again_does_nothing(docket: Docket, worker: Worker) -> None:
    runs: list[str] = []

    async def send(name: str) -> None:
        runs.append(name)

    await docket.add(send, key="only-once")("first")
    await docket.add(send, key="only-once")("second")
    await worker.run_until_finished()

    assert runs == ["first"]


async def test_adding_a_scheduled_key_again_keeps_the_first_time_and_arguments(
    docket: Docket, worker: Worker
) -> None:
    runs: list[tuple[str, datetime]] = []

    async def send(name: str) -> None:
        runs.append((name, datetime.now(UTC)))

    when = soon(50)
    await docket.add(send, when=when, key="only-once")("first")
    await docket.add(send, key="only-once")("second")
    await worker.run_until_finished()

    assert [name for name, _ in runs] == ["first"]
    assert runs[0][1] >= when - timedelta(milliseconds=1)


async def test_a_running_task_does_not_block_adding_its_own_key(
    docket: Docket, worker: Worker
) -> None:
    release = asyncio.Event()
    runs: list[str] = []

    async def step(label: str) -> None:
        runs.append(label)
        if label == "first":
            await release.wait()

    await docket.add(step, key="step")("first")
    finished = asyncio.create_task(worker.run_until_finished())
    await wait_until(lambda: runs == ["first"], what="the first step to start")

    await docket.add(step, key="step")("second")
    await wait_until(lambda: len(runs) == 2, what="the second step to start")
    release.set()
    await asyncio.wait_for(finished, timeout=10)

    assert runs == ["first", "second"]


async def test_a_key_can_be_added_again_once_its_task_has_run(
    docket: Docket, worker: Worker
) -> None:
    runs: list[str] = []

    async def send(name: str) -> None:
        runs.append(name)

    await docket.add(send, key="again")("first")
    await worker.run_until_finished()
    await docket.add(send, key="again")("second")
    await worker.run_until_finished()

    assert runs == ["first", "second"]


@dataclass(frozen=True)
class Order:
    number: int
    total: Decimal


async def test_any_cloudpickle_value_arrives_as_an_equal_value(
    docket: Docket, worker: Worker
) -> None:
    seen: list[tuple[Any, ...]] = []

    async def process(
        order: Order, when: datetime, nested: dict[str, list[int]], double: Any
    ) -> None:
        seen.append((order, when, nested, double(21)))

    moment = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    await docket.add(process)(
        Order(7, Decimal("9.99")), moment, {"a": [1, 2]}, double=lambda n: n * 2
    )
    await worker.run_until_finished()

    assert seen == [(Order(7, Decimal("9.99")), moment, {"a": [1, 2]}, 42)]


async def test_add_without_the_call_schedules_nothing(docket: Docket) -> None:
    async def send(name: str) -> None: ...

    schedule = docket.add(send, when=tomorrow(), key="not-yet")

    assert callable(schedule)
    assert await stored_keys(docket) == []


async def test_add_makes_the_function_known_by_name_to_this_dockets_workers(
    docket: Docket, worker: Worker
) -> None:
    runs: list[str] = []

    async def remember(name: str) -> None:
        runs.append(name)

    await docket.add(remember)("by function")
    await docket.add("remember")("by name")
    await worker.run_until_finished()

    assert docket.tasks["remember"] is remember
    assert sorted(runs) == ["by function", "by name"]


async def test_task_parameters_with_markers_need_no_arguments_from_the_caller(
    docket: Docket, worker: Worker
) -> None:
    from docket import CurrentDocket, Retry, TaskKey

    seen: list[tuple[int, str, int, str]] = []

    async def audited(
        customer_id: int,
        key: str = TaskKey(),
        retry: Retry = Retry(attempts=2),
        docket: Docket = CurrentDocket(),
    ) -> None:
        seen.append((customer_id, key, retry.attempt, docket.name))

    await docket.add(audited, key="audit-1")(12345)
    await worker.run_until_finished()

    assert seen == [(12345, "audit-1", 1, docket.name)]
