"""Worker-test fixtures: run workers in the background for the length of a test."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from docket import Worker

StartWorker = Callable[[Worker], "asyncio.Task[None]"]
WorkerFactory = Callable[..., Awaitable[Worker]]


@pytest.fixture
async def start_worker(make_worker: WorkerFactory) -> AsyncIterator[StartWorker]:
    """Start `worker.run_forever()` as a background task; stopped before the worker closes."""
    started: list[asyncio.Task[None]] = []

    def start(worker: Worker) -> "asyncio.Task[None]":
        task = asyncio.create_task(worker.run_forever())
        started.append(task)
        return task

    yield start
    for task in started:
        if task.done():
            # A worker loop that died on its own must fail the test, not vanish.
            task.result()
        task.cancel()
    for task in started:
        with contextlib.suppress(asyncio.CancelledError):
            await task
