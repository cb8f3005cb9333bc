"""Failing tasks: retried as their Retry asks, otherwise logged and acknowledged."""

import asyncio
import itertools
import logging
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from docket import CurrentDocket, Docket, ExponentialRetry, Retry, TaskKey, Worker


async def test_retry_runs_a_failing_task_at_most_attempts_times(
    docket: Docket, worker: Worker
) -> None:
    attempts: list[int] = []

    async def always_fails(
        retry: Retry = Retry(attempts=3, delay=timedelta(milliseconds=5)),
    ) -> None:
        attempts.append(retry.attempt)
        raise ValueError("whoops!")

    await docket.add(always_fails)()
    await worker.run_until_finished()

    assert attempts == [1, 2, 3]


async def test_retry_attempt_counts_from_one_and_stops_at_the_first_success(
    docket: Docket, worker: Worker
) -> None:
    attempts: list[int] = []

    async def faily(retry: Retry = Retry(attempts=5, delay=timedelta(0))) -> None:
        attempts.append(retry.attempt)
        if retry.attempt == 4:
            return
        raise ValueError("whoops!")

    await docket.add(faily)()
    await worker.run_until_finished()

    assert attempts == [1, 2, 3, 4]


async def test_retry_keeps_the_task_arguments(docket: Docket, worker: Worker) -> None:
    seen: list[tuple[int, str, int]] = []

    async def faily(
        customer_id: int, name: str, retry: Retry = Retry(attempts=2, delay=timedelta(0))
    ) -> None:
        seen.append((customer_id, name, retry.attempt))
        if retry.attempt == 1:
            raise ValueError("whoops!")

    await docket.add(faily, key="faily-12345")(12345, name="Jane Smith")
    await worker.run_until_finished()

    assert seen == [(12345, "Jane Smith", 1), (12345, "Jane Smith", 2)]


async def test_retry_waits_at_least_its_delay_between_runs(docket: Docket, worker: Worker) -> None:
    runs: list[float] = []

    async def faily(retry: Retry = Retry(attempts=3, delay=timedelta(milliseconds=60))) -> None:
        runs.append(time.monotonic())
        raise ValueError("whoops!")

    await docket.add(faily)()
    await worker.run_until_finished()

    assert len(runs) == 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(runs)]
    # Due times are whole milliseconds, so allow for one millisecond of rounding.
    assert all(gap >= 0.059 for gap in gaps), gaps


async def test_unlimited_retries_go_on_until_the_task_succeeds(
    docket: Docket, worker: Worker
) -> None:
    attempts: list[int] = []

    async def stubborn(retry: Retry = Retry(attempts=None, delay=timedelta(0))) -> None:
        attempts.append(retry.attempt)
        if retry.attempt < 12:
            raise ValueError("not yet")

    await docket.add(stubborn)()
    await worker.run_until_finished()

    assert attempts == list(range(1, 13))


async def test_exponential_retry_delays_double_between_runs(docket: Docket, worker: Worker) -> None:
    runs: list[float] = []

    async def faily(
        retry: ExponentialRetry = ExponentialRetry(
            attempts=4,
            minimum_delay=timedelta(milliseconds=25),
            maximum_delay=timedelta(seconds=1),
        ),
    ) -> None:
        runs.append(time.monotonic())
        raise ValueError("whoops!")

    await docket.add(faily)()
    await worker.run_until_finished()

    assert len(runs) == 4
    gaps = [later - earlier for earlier, later in itertools.pairwise(runs)]
    # Lower bounds only (25, 50, 100 ms), less a millisecond of rounding: lateness is not checked.
    assert gaps[0] >= 0.024, gaps
    assert gaps[1] >= 0.049, gaps
    assert gaps[2] >= 0.099, gaps


async def test_failure_without_retry_is_logged_with_its_traceback_and_not_run_again(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    runs: list[str] = []

    async def broken() -> None:
        runs.append("broken")
        raise ZeroDivisionError("the task's own bug")

    execution = await docket.add(broken)()
    with caplog.at_level(logging.INFO, logger="docket.worker"):
        await worker.run_until_finished()

    assert runs == ["broken"]
    failures = [
        r
        for r in caplog.records
        if r.name == "docket.worker" and r.levelno >= logging.ERROR and r.exc_info
    ]
    assert len(failures) == 1
    record = failures[0]
    assert execution.key in record.getMessage()
    assert "broken" in record.getMessage()
    assert "ZeroDivisionError: the task's own bug" in caplog.text
    assert "Traceback" in caplog.text
    # Acknowledged: nothing is left on the docket to run again.
    streamed, parked = await docket.backend.backlog()
    assert (streamed, parked) == (0, 0)


async def test_worker_keeps_running_tasks_after_one_fails(docket: Docket, worker: Worker) -> None:
    runs: list[str] = []

    async def broken() -> None:
        runs.append("broken")
        raise RuntimeError("boom")

    async def healthy() -> None:
        runs.append("healthy")

    await docket.add(broken)()
    await docket.add(healthy, when=datetime.now(UTC) + timedelta(milliseconds=100))()
    await worker.run_until_finished()

    assert runs == ["broken", "healthy"]
    assert worker.statistics().failed == 1
    assert worker.statistics().succeeded == 1


async def test_retry_does_not_clobber_a_replacement_scheduled_while_it_ran(
    docket: Docket, worker: Worker
) -> None:
    runs: list[tuple[str, int]] = []
    replacement_when = datetime.now(UTC) + timedelta(milliseconds=150)

    async def sync_account(
        version: str,
        retry: Retry = Retry(attempts=3, delay=timedelta(0)),
        key: str = TaskKey(),
        current: Docket = CurrentDocket(),
    ) -> None:
        runs.append((version, retry.attempt))
        if version == "old":
            await current.replace(sync_account, when=replacement_when, key=key)("new")
            raise ValueError("the old version fails")

    await docket.add(sync_account, key="account-1")("old")
    await worker.run_until_finished()

    assert runs == [("old", 1), ("new", 1)]


async def test_start_and_finish_are_each_logged_once_with_key_function_attempt_and_duration(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    async def tidy_up() -> None:
        pass

    await docket.add(tidy_up, key="tidy-key")()
    with caplog.at_level(logging.INFO, logger="docket.worker"):
        await worker.run_until_finished()

    lines = [r.getMessage() for r in caplog.records if "tidy-key" in r.getMessage()]
    assert len(lines) == 2, lines
    started, finished = lines
    assert "tidy_up" in started
    assert "attempt=1" in started
    assert "tidy_up" in finished
    assert "attempt=1" in finished
    assert re.search(r"\d+(\.\d+)? ?ms", finished), finished


async def test_cancelling_a_running_task_stops_its_retries(docket: Docket, worker: Worker) -> None:
    attempts: list[int] = []
    started = asyncio.Event()
    release = asyncio.Event()

    async def faily(retry: Retry = Retry(attempts=3, delay=timedelta(0))) -> None:
        attempts.append(retry.attempt)
        started.set()
        await release.wait()
        raise ValueError("whoops!")

    await docket.add(faily, key="faily")()
    running = asyncio.create_task(worker.run_until_finished())
    await asyncio.wait_for(started.wait(), timeout=5)
    await docket.cancel("faily")
    release.set()
    await asyncio.wait_for(running, timeout=5)

    assert attempts == [1]


async def test_retries_are_counted_in_worker_statistics(docket: Docket, worker: Worker) -> None:
    async def faily(retry: Retry = Retry(attempts=3, delay=timedelta(0))) -> None:
        raise ValueError("whoops!")

    await docket.add(faily)()
    await worker.run_until_finished()

    statistics = worker.statistics()
    assert (statistics.retried, statistics.failed, statistics.succeeded) == (2, 1, 0)
