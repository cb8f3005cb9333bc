"""Every code example of the user spec (docket-usage.md), run as written on both backends.

Where an example schedules work for tomorrow or next week, the test checks what a user would
see instead of waiting: the pending execution is replaced, cancelled or left alone, and a worker
run shows what ran. Intervals and retry delays are shortened to milliseconds; the calls keep the
spec's names, arguments and shape.
"""

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from docket import (
    CurrentDocket,
    CurrentExecution,
    CurrentWorker,
    Docket,
    Execution,
    ExponentialRetry,
    Retry,
    TaskKey,
    Worker,
)
from docket_worker._retry import retry_delay_ms

from ..helpers import wait_until
from . import my_tasks
from .my_tasks import my_task_collection

# -- the spec's scheduling example, at module level as the spec writes it -----------------------

emails: list[tuple[str, int, str]] = []
"""(task, customer_id, name) of every email task that ran; cleared before each test."""


def now() -> datetime:
    return datetime.now(timezone.utc)  # noqa: UP017 - written as the spec writes it


async def send_welcome_email(customer_id: int, name: str) -> None:
    emails.append(("welcome", customer_id, name))


async def send_followup_email(customer_id: int, name: str) -> None:
    emails.append(("followup", customer_id, name))


@pytest.fixture(autouse=True)
def fresh_records() -> None:
    emails.clear()
    my_tasks.ran.clear()


@contextlib.asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[None]:
    """Run ``worker.run_forever()`` in the background for the duration of the block."""
    task = asyncio.create_task(worker.run_forever())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def soon() -> datetime:
    return now() + timedelta(milliseconds=20)


def assert_same_instant(actual: datetime, expected: datetime) -> None:
    """Docket stores times to the millisecond."""
    assert abs(actual - expected) < timedelta(milliseconds=1), (actual, expected)


# -- Creating a Docket ---------------------------------------------------------------------------


def test_docket_defaults_to_the_name_docket_on_the_local_redis() -> None:
    docket = Docket()

    assert docket.name == "docket"
    assert docket.url == "redis://localhost:6379/0"


async def test_docket_named_orders_is_one_shared_docket_for_its_name_and_url(
    docket_url: str,
) -> None:
    ran: list[str] = []

    async def ship(order: str) -> None:
        ran.append(order)

    async with Docket(name="orders", url=docket_url) as docket:
        docket.register(ship)
        async with Docket(name="orders", url=docket_url) as elsewhere:
            await elsewhere.add("ship")("order-1")
        async with Worker(docket) as worker:
            await worker.run_until_finished()
        client = docket.backend.client
        leftovers = [key async for key in client.scan_iter(match="\\{orders\\}:*")]
        if leftovers:
            await client.delete(*leftovers)

    assert ran == ["order-1"]


# -- Scheduling work ------------------------------------------------------------------------------


async def test_welcome_email_runs_now_and_followup_waits_for_tomorrow(
    docket: Docket, worker: Worker
) -> None:
    await docket.add(send_welcome_email)(12345, "Jane Smith")

    tomorrow = now() + timedelta(days=1)
    followup = await docket.add(send_followup_email, when=tomorrow)(12345, "Jane Smith")

    async with running(worker):
        await wait_until(lambda: len(emails) == 1, what="the welcome email")

    assert emails == [("welcome", 12345, "Jane Smith")]
    assert followup.function_name == "send_followup_email"
    assert_same_instant(followup.when, tomorrow)
    # The follow-up is still pending for tomorrow, under a random key.
    assert len(followup.key) == 36
    assert await docket.cancel(followup.key) is True


async def test_followup_gets_the_key_it_was_given(docket: Docket) -> None:
    await docket.add(send_welcome_email)(12345, "Jane Smith")

    tomorrow = now() + timedelta(days=1)
    key = "welcome-email-for-12345"
    execution = await docket.add(send_followup_email, when=tomorrow, key=key)(12345, "Jane Smith")

    assert execution.key == "welcome-email-for-12345"
    assert await docket.cancel("welcome-email-for-12345") is True


async def test_adding_the_keyed_followup_again_does_not_schedule_a_second_one(
    docket: Docket, worker: Worker
) -> None:
    tomorrow = now() + timedelta(days=1)
    key = "welcome-email-for-12345"
    await docket.add(send_followup_email, when=tomorrow, key=key)(12345, "Jane Smith")
    await docket.add(send_followup_email, when=tomorrow, key=key)(12345, "Jane Smith")

    await docket.replace(send_followup_email, when=soon(), key=key)(12345, "Jane Smith")
    await worker.run_until_finished()

    assert emails == [("followup", 12345, "Jane Smith")]


async def test_adding_the_same_key_twice_runs_the_first_one_once(
    docket: Docket, worker: Worker
) -> None:
    key = "welcome-email-for-12345"
    when = soon()
    await docket.add(send_followup_email, when=when, key=key)(12345, "Jane Smith")
    await docket.add(send_followup_email, when=when, key=key)(12345, "Someone Else")

    await worker.run_until_finished()

    assert emails == [("followup", 12345, "Jane Smith")]


async def test_replace_moves_the_followup_to_next_week(docket: Docket) -> None:
    tomorrow = now() + timedelta(days=1)
    key = "welcome-email-for-12345"
    await docket.add(send_followup_email, when=tomorrow, key=key)(12345, "Jane Smith")

    key = "welcome-email-for-12345"
    next_week = now() + timedelta(days=7)
    execution = await docket.replace(send_followup_email, when=next_week, key=key)(
        12345, "Jane Smith"
    )

    assert_same_instant(execution.when, next_week)
    due_ms = await docket.backend.client.zscore(docket.keys.queue, key)
    assert due_ms == execution.when_ms
    # Still exactly one pending execution under the key.
    assert await docket.cancel(key) is True
    assert await docket.cancel(key) is False


async def test_replace_changes_the_followup_arguments(docket: Docket, worker: Worker) -> None:
    tomorrow = now() + timedelta(days=1)
    key = "welcome-email-for-12345"
    await docket.add(send_followup_email, when=tomorrow, key=key)(12345, "Jane Smith")

    key = "welcome-email-for-12345"
    await docket.replace(send_followup_email, when=tomorrow, key=key)(12345, "Jane Q. Smith")
    # Bring it forward to see what a worker would run tomorrow.
    await docket.replace(send_followup_email, when=soon(), key=key)(12345, "Jane Q. Smith")
    await worker.run_until_finished()

    assert emails == [("followup", 12345, "Jane Q. Smith")]


async def test_cancel_removes_the_followup_so_it_never_runs(docket: Docket, worker: Worker) -> None:
    await docket.add(send_welcome_email)(12345, "Jane Smith")
    tomorrow = now() + timedelta(days=1)
    key = "welcome-email-for-12345"
    await docket.add(send_followup_email, when=tomorrow, key=key)(12345, "Jane Smith")

    cancelled = await docket.cancel("welcome-email-for-12345")
    await worker.run_until_finished()

    assert cancelled is True
    assert emails == [("welcome", 12345, "Jane Smith")]
    assert await docket.cancel("welcome-email-for-12345") is False


async def test_followup_added_by_name_from_a_client_without_the_function_runs_on_the_worker(
    docket: Docket, worker: Worker
) -> None:
    docket.register(send_followup_email)
    tomorrow = now() + timedelta(days=1)

    async with Docket(name=docket.name, url=docket.url) as web_server:
        assert set(web_server.tasks) == {"trace", "fail", "sleep"}  # only the built-in tasks
        execution = await web_server.add("send_followup_email", when=tomorrow)(12345, "Jane Smith")
        assert execution.function_name == "send_followup_email"
        assert_same_instant(execution.when, tomorrow)
        # Bring tomorrow's email forward, still by name, to watch the worker run it.
        await web_server.replace("send_followup_email", when=soon(), key=execution.key)(
            12345, "Jane Smith"
        )

    await worker.run_until_finished()

    assert emails == [("followup", 12345, "Jane Smith")]


# -- Writing tasks: CurrentDocket, TaskKey, CurrentWorker, CurrentExecution --------------------

POLLING_INTERVAL = timedelta(milliseconds=100)
"""The spec polls every 10 s; the tests poll every 100 ms."""


async def test_poll_for_changes_reschedules_itself_until_the_file_appears(
    docket: Docket, worker: Worker, tmp_path: Path
) -> None:
    checks: list[tuple[datetime, bool]] = []

    async def poll_for_changes(file: Path, docket: Docket = CurrentDocket()) -> None:
        if file.exists():  # noqa: ASYNC240 - the spec's own check
            checks.append((now(), True))  # ...do something interesting...
            return
        else:
            checks.append((now(), False))
            await docket.add(poll_for_changes, when=now() + POLLING_INTERVAL)(file)

    file = tmp_path / "changes.txt"
    await docket.add(poll_for_changes)(file)
    finished = asyncio.create_task(worker.run_until_finished())
    await wait_until(lambda: len(checks) == 3, what="three polls of a missing file")
    file.touch()
    await asyncio.wait_for(finished, timeout=10)

    assert [found for _, found in checks] == [False, False, False, True]
    starts = [started for started, _ in checks]
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert all(gap >= POLLING_INTERVAL - timedelta(milliseconds=2) for gap in gaps), gaps


async def test_poll_for_changes_with_its_task_key_keeps_exactly_one_chain(
    docket: Docket, worker: Worker, tmp_path: Path
) -> None:
    links: list[tuple[str, bool]] = []

    async def poll_for_changes(
        file: Path, key: str = TaskKey(), docket: Docket = CurrentDocket()
    ) -> None:
        if file.exists():  # noqa: ASYNC240 - the spec's own check
            links.append((key, True))  # ...do something interesting...
            return
        else:
            links.append((key, False))
            await docket.add(poll_for_changes, when=now() + POLLING_INTERVAL, key=key)(file)

    file = tmp_path / "changes.txt"
    key = "poll-changes.txt"
    # Starting the chain twice under one key still makes one chain.
    await docket.add(poll_for_changes, key=key)(file)
    await docket.add(poll_for_changes, key=key)(file)
    finished = asyncio.create_task(worker.run_until_finished())

    await wait_until(lambda: len(links) == 1, what="the first poll")
    # So does starting it again while it is going.
    await docket.add(poll_for_changes, when=now() + POLLING_INTERVAL, key=key)(file)
    await wait_until(lambda: len(links) == 3, what="three polls of a missing file")
    file.touch()
    await asyncio.wait_for(finished, timeout=10)

    assert links == [(key, False), (key, False), (key, False), (key, True)]
    assert await docket.backend.backlog() == (0, 0)


async def test_current_docket_worker_and_execution_are_the_ones_running_the_task(
    docket: Docket, worker: Worker
) -> None:
    seen: list[tuple[Docket, Worker, Execution]] = []

    async def inspect_context(
        docket: Docket = CurrentDocket(),
        worker: Worker = CurrentWorker(),
        execution: Execution = CurrentExecution(),
    ) -> None:
        seen.append((docket, worker, execution))

    await docket.add(inspect_context, key="look-around")()
    await worker.run_until_finished()

    [(current_docket, current_worker, execution)] = seen
    assert (current_docket.name, current_docket.url) == (docket.name, docket.url)
    assert current_worker is worker
    assert execution.key == "look-around"
    assert execution.function_name == "inspect_context"
    assert execution.attempt == 1


# -- Retries ---------------------------------------------------------------------------------------

DELAY = timedelta(milliseconds=10)
"""The spec waits 3 s between attempts; the tests wait 10 ms."""


async def test_faily_with_linear_retry_runs_four_times_then_says_whew(
    docket: Docket, worker: Worker, capsys: pytest.CaptureFixture[str]
) -> None:
    attempts: list[tuple[int, float]] = []

    async def faily(retry: Retry = Retry(attempts=5, delay=DELAY)) -> None:
        attempts.append((retry.attempt, time.monotonic()))
        if retry.attempt == 4:
            print("whew!")
            return

        raise ValueError("whoops!")

    await docket.add(faily)()
    await worker.run_until_finished()

    assert [attempt for attempt, _ in attempts] == [1, 2, 3, 4]
    assert capsys.readouterr().out == "whew!\n"
    starts = [started for _, started in attempts]
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert all(gap >= DELAY.total_seconds() - 0.002 for gap in gaps), gaps
    assert worker.statistics().retried == 3
    assert worker.statistics().succeeded == 1


async def test_faily_that_never_recovers_stops_after_five_attempts(
    docket: Docket, worker: Worker
) -> None:
    attempts: list[int] = []

    async def faily(retry: Retry = Retry(attempts=5, delay=DELAY)) -> None:
        attempts.append(retry.attempt)
        raise ValueError("whoops!")

    await docket.add(faily)()
    await worker.run_until_finished()

    assert attempts == [1, 2, 3, 4, 5]
    assert worker.statistics().failed == 1


def test_retry_with_minimum_and_maximum_delay_is_a_type_error_naming_exponential_retry() -> None:
    with pytest.raises(TypeError, match="ExponentialRetry") as raised:

        async def faily(
            retry: Retry = Retry(
                attempts=5,
                minimum_delay=timedelta(seconds=2),  # type: ignore[arg-type]
                maximum_delay=timedelta(seconds=32),  # type: ignore[arg-type]
            ),
        ) -> None:
            if retry.attempt == 4:
                print("whew!")
                return

            raise ValueError("whoops!")

    message = str(raised.value)
    assert "minimum_delay" in message
    assert "maximum_delay" in message


def test_exponential_retry_waits_2_4_8_then_16_seconds() -> None:
    retry = ExponentialRetry(
        attempts=5,
        minimum_delay=timedelta(seconds=2),
        maximum_delay=timedelta(seconds=32),
    )

    delays = [retry_delay_ms(retry, attempt) for attempt in range(1, 6)]

    assert delays == [2_000, 4_000, 8_000, 16_000, None]


def test_exponential_retry_delays_stop_growing_at_maximum_delay() -> None:
    retry = ExponentialRetry(
        attempts=8,
        minimum_delay=timedelta(seconds=2),
        maximum_delay=timedelta(seconds=32),
    )

    delays = [retry_delay_ms(retry, attempt) for attempt in range(1, 9)]

    assert delays == [2_000, 4_000, 8_000, 16_000, 32_000, 32_000, 32_000, None]


async def test_faily_with_exponential_retry_waits_twice_as_long_each_time(
    docket: Docket, worker: Worker
) -> None:
    attempts: list[tuple[int, float]] = []

    async def faily(
        retry: Retry = ExponentialRetry(
            attempts=5,
            minimum_delay=timedelta(milliseconds=10),
            maximum_delay=timedelta(milliseconds=160),
        ),
    ) -> None:
        attempts.append((retry.attempt, time.monotonic()))
        if retry.attempt == 4:
            return

        raise ValueError("whoops!")

    await docket.add(faily)()
    await worker.run_until_finished()

    assert [attempt for attempt, _ in attempts] == [1, 2, 3, 4]
    starts = [started for _, started in attempts]
    gaps_ms = [(later - earlier) * 1000 for earlier, later in itertools.pairwise(starts)]
    for gap_ms, delay_ms in zip(gaps_ms, [10, 20, 40], strict=True):
        assert gap_ms >= delay_ms - 2, gaps_ms


# -- Running workers -------------------------------------------------------------------------------


async def test_worker_runs_the_tasks_registered_from_my_task_collection(docket: Docket) -> None:
    async with Docket(name=docket.name, url=docket.url) as client:
        await client.add("my_first_task")()
        await client.add("my_second_task")()

    for task in my_task_collection:
        docket.register(task)

    async with Worker(docket) as worker, running(worker):
        await wait_until(lambda: len(my_tasks.ran) == 2, what="both tasks of my_tasks")

    assert sorted(my_tasks.ran) == ["my_first_task", "my_second_task"]


async def test_register_collection_by_module_path_registers_every_task(
    docket: Docket, worker: Worker
) -> None:
    docket.register_collection("tests.spec.my_tasks:my_task_collection")

    async with Docket(name=docket.name, url=docket.url) as client:
        await client.add("my_second_task")()
        await client.add("my_first_task")()
    await worker.run_until_finished()

    assert set(docket.tasks) >= {"my_first_task", "my_second_task"}
    assert sorted(my_tasks.ran) == ["my_first_task", "my_second_task"]


async def peak_concurrency(docket: Docket, worker: Worker, tasks: int) -> int:
    """Schedule `tasks` tasks that wait together, and return how many ran at once at most."""
    release = asyncio.Event()
    current = peak = 0

    async def hold() -> None:
        nonlocal current, peak
        current += 1
        peak = max(peak, current)
        await release.wait()
        current -= 1

    for _ in range(tasks):
        await docket.add(hold)()
    finished = asyncio.create_task(worker.run_until_finished())
    await wait_until(lambda: current == min(tasks, worker.concurrency), what="a full worker")
    assert worker.statistics().running == current
    release.set()
    await asyncio.wait_for(finished, timeout=10)
    return peak


async def test_worker_runs_up_to_10_tasks_at_once_by_default(docket: Docket) -> None:
    async with Worker(docket) as worker:
        assert await peak_concurrency(docket, worker, tasks=25) == 10


async def test_concurrency_keyword_sets_how_many_tasks_run_at_once(docket: Docket) -> None:
    async with Worker(docket, concurrency=3) as worker:
        assert await peak_concurrency(docket, worker, tasks=7) == 3


def test_redelivery_timeout_keyword_is_accepted_by_the_worker() -> None:
    docket = Docket(name="orders", url="memory://redelivery-timeout")

    worker = Worker(docket, concurrency=4, redelivery_timeout=timedelta(seconds=3))

    assert worker.concurrency == 4
    assert worker.redelivery_timeout == timedelta(seconds=3)
    assert Worker(docket).redelivery_timeout == timedelta(minutes=5)


def test_now_in_the_spec_is_an_aware_utc_time() -> None:
    assert now().tzinfo is not None
    assert now().utcoffset() == timedelta(0)
    assert abs(now() - datetime.now(UTC)) < timedelta(seconds=1)
