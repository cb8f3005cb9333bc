"""Retry.forever, and retries a task forces itself: retry.in_ / retry.after / retry.at."""

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
from docket import (
    CurrentExecution,
    Docket,
    Execution,
    ExponentialRetry,
    ForcedRetry,
    Retry,
    Worker,
)
from docket._time import datetime_to_ms, now_ms


async def test_retry_forever_runs_until_the_task_succeeds(docket: Docket, worker: Worker) -> None:
    attempts: list[int] = []

    async def stubborn(retry: Retry = Retry.forever(delay=timedelta(0))) -> None:
        attempts.append(retry.attempt)
        if retry.attempt < 15:
            raise ValueError("not yet")

    await docket.add(stubborn)()
    await worker.run_until_finished()

    assert attempts == list(range(1, 16))
    assert worker.statistics().retried == 14


async def test_exponential_retry_forever_runs_until_the_task_succeeds(
    docket: Docket, worker: Worker
) -> None:
    attempts: list[int] = []

    async def stubborn(
        retry: ExponentialRetry = ExponentialRetry.forever(
            minimum_delay=timedelta(milliseconds=1), maximum_delay=timedelta(milliseconds=4)
        ),
    ) -> None:
        attempts.append(retry.attempt)
        if retry.attempt < 10:
            raise ValueError("not yet")

    await docket.add(stubborn)()
    await worker.run_until_finished()

    assert attempts == list(range(1, 11))


async def test_retry_at_runs_the_next_attempt_due_exactly_then(
    docket: Docket, worker: Worker
) -> None:
    runs: list[tuple[int, int, int]] = []  # attempt, due, started
    when = datetime.now(UTC) + timedelta(milliseconds=150)

    async def later(
        retry: Retry = Retry(attempts=3),
        execution: Execution = CurrentExecution(),
    ) -> None:
        runs.append((retry.attempt, execution.when_ms, now_ms()))
        if retry.attempt == 1:
            retry.at(when)

    await docket.add(later)()
    await worker.run_until_finished()

    assert [attempt for attempt, _, _ in runs] == [1, 2]
    _, due, started = runs[1]
    assert due == datetime_to_ms(when)
    assert started >= due


@pytest.mark.parametrize("method", ["in_", "after"])
async def test_retry_in_and_after_run_the_next_attempt_that_long_later(
    docket: Docket, worker: Worker, method: str
) -> None:
    runs: list[float] = []

    async def later(retry: Retry = Retry(attempts=2)) -> None:
        runs.append(time.monotonic())
        if retry.attempt == 1:
            getattr(retry, method)(timedelta(milliseconds=120))

    await docket.add(later)()
    await worker.run_until_finished()

    assert len(runs) == 2
    assert runs[1] - runs[0] >= 0.119  # due times are whole milliseconds


async def test_a_forced_retry_ignores_the_policys_own_delay(docket: Docket, worker: Worker) -> None:
    runs: list[float] = []

    async def hurried(retry: Retry = Retry(attempts=2, delay=timedelta(hours=1))) -> None:
        runs.append(time.monotonic())
        if retry.attempt == 1:
            retry.in_(timedelta(0))

    await docket.add(hurried)()
    await worker.run_until_finished()

    assert len(runs) == 2
    assert runs[1] - runs[0] < 30


async def test_forced_retries_are_still_bounded_by_attempts(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    attempts: list[int] = []

    async def insistent(retry: Retry = Retry(attempts=3)) -> None:
        attempts.append(retry.attempt)
        retry.in_(timedelta(milliseconds=1))

    await docket.add(insistent, key="insistent-1")()
    with caplog.at_level(logging.INFO, logger="docket.worker"):
        await worker.run_until_finished()

    assert attempts == [1, 2, 3]
    assert (worker.statistics().retried, worker.statistics().failed) == (2, 1)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert all("insistent-1" in r.getMessage() for r in warnings)
    assert all("ForcedRetry: the task asked to run again at" in r.getMessage() for r in warnings)
    assert all("retrying in" in r.getMessage() for r in warnings)
    [final] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "failed insistent key=insistent-1 attempt=3" in final.getMessage()
    assert final.exc_info is not None
    assert isinstance(final.exc_info[1], ForcedRetry)


async def test_a_forced_retry_without_attempts_left_is_a_final_failure(
    docket: Docket, worker: Worker
) -> None:
    attempts: list[int] = []

    async def once(retry: Retry = Retry()) -> None:
        attempts.append(retry.attempt)
        retry.in_(timedelta(0))

    await docket.add(once)()
    await worker.run_until_finished()

    assert attempts == [1]
    assert worker.statistics().failed == 1


async def test_retry_forever_may_force_each_retry(docket: Docket, worker: Worker) -> None:
    attempts: list[int] = []

    async def polling(retry: Retry = Retry.forever(delay=timedelta(hours=1))) -> None:
        attempts.append(retry.attempt)
        if retry.attempt < 6:
            retry.after(timedelta(milliseconds=1))

    await docket.add(polling)()
    await worker.run_until_finished()

    assert attempts == [1, 2, 3, 4, 5, 6]


async def test_a_naive_datetime_fails_the_run_as_the_policy_says(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    attempts: list[int] = []

    async def naive(retry: Retry = Retry(attempts=2)) -> None:
        attempts.append(retry.attempt)
        retry.at(datetime(2030, 1, 1))

    await docket.add(naive)()
    with caplog.at_level(logging.INFO, logger="docket.worker"):
        await worker.run_until_finished()

    assert attempts == [1, 2]  # an ordinary failure: retried at the policy's own delay
    assert "InvalidScheduleError" in caplog.text
    assert "no time zone" in caplog.text
