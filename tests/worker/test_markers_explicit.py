"""Markers passed explicitly by the caller win over the defaults; the task logger's name."""

import asyncio
import logging
from datetime import timedelta
from logging import Logger, LoggerAdapter

import pytest
from docket import Depends, Docket, ExponentialRetry, Retry, TaskLogger, Worker

NO_DELAY = timedelta(0)


async def test_a_retry_passed_by_keyword_decides_how_often_the_task_runs(
    docket: Docket, worker: Worker
) -> None:
    attempts: list[tuple[int, int | None]] = []

    async def flaky(retry: Retry = Retry(attempts=42)) -> None:
        attempts.append((retry.attempt, retry.attempts))
        raise ValueError("whoops!")

    await docket.add(flaky)(retry=Retry(attempts=2))
    await asyncio.wait_for(worker.run_until_finished(), timeout=10)

    assert attempts == [(1, 2), (2, 2)]
    assert worker.statistics().failed == 1


async def test_a_retry_passed_positionally_decides_how_often_the_task_runs(
    docket: Docket, worker: Worker
) -> None:
    attempts: list[int] = []

    async def flaky(label: str, retry: Retry = Retry(attempts=42)) -> None:
        attempts.append(retry.attempt)
        raise ValueError(label)

    await docket.add(flaky)("once more", Retry(attempts=3, delay=NO_DELAY))
    await asyncio.wait_for(worker.run_until_finished(), timeout=10)

    assert attempts == [1, 2, 3]


async def test_an_exponential_retry_passed_explicitly_uses_its_own_delays(
    docket: Docket, worker: Worker
) -> None:
    attempts: list[int] = []

    async def flaky(
        retry: ExponentialRetry = ExponentialRetry(
            attempts=5, minimum_delay=timedelta(hours=1), maximum_delay=timedelta(hours=2)
        ),
    ) -> None:
        attempts.append(retry.attempt)
        raise ValueError("whoops!")

    quick = ExponentialRetry(
        attempts=3, minimum_delay=timedelta(milliseconds=1), maximum_delay=timedelta(seconds=1)
    )
    await docket.add(flaky)(retry=quick)
    await asyncio.wait_for(worker.run_until_finished(), timeout=10)

    assert attempts == [1, 2, 3]


async def test_a_task_called_without_a_retry_keeps_its_default(
    docket: Docket, worker: Worker
) -> None:
    attempts: list[int] = []

    async def flaky(retry: Retry = Retry(attempts=2, delay=NO_DELAY)) -> None:
        attempts.append(retry.attempt)
        raise ValueError("whoops!")

    await docket.add(flaky)()
    await docket.add(flaky)(retry=Retry(attempts=3))
    await asyncio.wait_for(worker.run_until_finished(), timeout=10)

    assert sorted(attempts) == [1, 1, 2, 2, 3]


async def test_a_dependency_passed_explicitly_is_used_instead_of_calling_the_default(
    docket: Docket, worker: Worker
) -> None:
    seen: list[str] = []

    def default_connection() -> str:
        return "from the default"

    async def job(label: str, connection: str = Depends(default_connection)) -> None:
        seen.append(f"{label}: {connection}")

    await docket.add(job)("positional", "passed")
    await docket.add(job)("keyword", connection="passed")
    await docket.add(job)("none")
    await asyncio.wait_for(worker.run_until_finished(), timeout=10)

    assert sorted(seen) == ["keyword: passed", "none: from the default", "positional: passed"]


async def test_task_logger_logs_to_a_logger_named_after_the_task(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    async def send_invoice(logger: LoggerAdapter[Logger] = TaskLogger()) -> None:
        logger.info("sending")

    execution = await docket.add(send_invoice, key="invoice-7")()
    with caplog.at_level(logging.INFO, logger="docket.task"):
        await asyncio.wait_for(worker.run_until_finished(), timeout=10)

    [record] = [r for r in caplog.records if r.getMessage() == "sending"]
    assert record.name == "docket.task.send_invoice"
    assert getattr(record, "docket_key", None) == execution.key == "invoice-7"
    assert getattr(record, "docket_function", None) == "send_invoice"
    assert getattr(record, "docket_attempt", None) == 1
