"""The built-in tasks trace, fail and sleep: registered on every docket, run by any worker."""

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable

import pytest
from docket import Docket, Worker, tasks
from docket.tasks import fail, sleep, standard_tasks, trace

WorkerFactory = Callable[..., Awaitable[Worker]]
FAILED = re.compile(r"failed fail(\(.*\))? key=smoke-2 ")
"""The worker's line for a failed run of `fail` (its arguments may be shown, or not)."""


async def run_until_finished(worker: Worker) -> None:
    await asyncio.wait_for(worker.run_until_finished(), timeout=10)


def test_every_docket_knows_the_built_in_tasks_by_name() -> None:
    docket = Docket(name="builtins", url="memory://builtins")

    assert docket.tasks == {"trace": trace, "fail": fail, "sleep": sleep}
    assert standard_tasks == [trace, fail, sleep]
    assert tasks.__all__ == ["fail", "sleep", "standard_tasks", "trace"]


def test_pydockets_collection_path_registers_them_again_harmlessly() -> None:
    docket = Docket(name="builtins", url="memory://builtins")

    docket.register_collection("docket.tasks:standard_tasks")

    assert docket.tasks == {"trace": trace, "fail": fail, "sleep": sleep}


async def test_trace_logs_the_message_with_its_key_docket_and_worker(
    docket: Docket, make_worker: WorkerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    worker = await make_worker(name="tracer")
    async with Docket(name=docket.name, url=docket.url) as client:  # a client with no tasks
        await client.add("trace", key="smoke-1")("hello from the shell")

    with caplog.at_level(logging.INFO):
        await run_until_finished(worker)

    [record] = [r for r in caplog.records if r.name == "docket.task.trace"]
    assert record.levelno == logging.INFO
    message = record.getMessage()
    assert message.startswith("hello from the shell: 'smoke-1' added to docket ")
    assert repr(docket.name) in message
    assert message.endswith("ago now running on worker 'tracer'")
    assert worker.statistics().succeeded == 1


async def test_fail_raises_the_message_and_is_tried_twice(
    docket: Docket, make_worker: WorkerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    worker = await make_worker()
    await docket.add(fail, key="smoke-2")("expected failure")

    with caplog.at_level(logging.WARNING):
        await run_until_finished(worker)

    statistics = worker.statistics()
    assert (statistics.retried, statistics.failed, statistics.succeeded) == (1, 1, 0)
    failures = [r for r in caplog.records if FAILED.match(r.getMessage())]
    assert [record.levelno for record in failures] == [logging.WARNING, logging.ERROR]
    final = failures[-1]
    assert final.exc_info is not None
    assert str(final.exc_info[1]).startswith("expected failure: smoke-2 added to docket ")
    assert await docket.dead_letters() == []


async def test_sleep_sleeps_for_the_seconds_it_is_given(
    docket: Docket, make_worker: WorkerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    worker = await make_worker()
    await docket.add("sleep")(0.2)

    started = time.monotonic()
    with caplog.at_level(logging.INFO):
        await run_until_finished(worker)

    assert time.monotonic() - started >= 0.2
    assert [r.getMessage() for r in caplog.records if r.name == "docket.task.sleep"] == [
        "Sleeping for 0.2 seconds"
    ]
    assert worker.statistics().succeeded == 1
