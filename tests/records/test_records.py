"""get_execution and sync: where an execution is, read back by any client (issue 11)."""

import asyncio
import sys
import types
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from docket import Docket, ExecutionState, Retry, Worker

from ..helpers import wait_until


async def test_a_scheduled_execution_reads_back_from_another_client(docket: Docket) -> None:
    async def send(user_id: int, *, template: str) -> None: ...

    when = datetime.now(UTC) + timedelta(hours=1)
    await docket.add(send, when=when, key="send-7")(7, template="welcome")

    async with Docket(docket.name, docket.url) as other:  # never registered `send`
        execution = await other.get_execution("send-7")
    assert execution is not None
    assert (execution.function_name, execution.args, execution.kwargs) == (
        "send",
        (7,),
        {"template": "welcome"},
    )
    assert execution.state is ExecutionState.SCHEDULED
    assert abs(execution.when - when) < timedelta(milliseconds=2)
    assert execution.attempt == 1
    assert (execution.worker, execution.started_at, execution.completed_at) == (None,) * 3
    assert execution.error is None


async def test_an_unknown_key_has_no_execution(docket: Docket) -> None:
    assert await docket.get_execution("nobody") is None


async def test_a_due_execution_is_queued_until_a_worker_takes_it(docket: Docket) -> None:
    async def job() -> None: ...

    execution = await docket.add(job, key="due")()
    assert execution.state is ExecutionState.QUEUED
    await execution.sync()
    assert execution.state is ExecutionState.QUEUED


async def test_sync_follows_an_execution_through_running_to_completed(
    docket: Docket, worker: Worker
) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def job() -> None:
        started.set()
        await release.wait()

    execution = await docket.add(job, key="job")()
    running = asyncio.create_task(worker.run_until_finished())
    await asyncio.wait_for(started.wait(), timeout=10)
    await execution.sync()
    assert execution.state is ExecutionState.RUNNING
    assert execution.worker == worker.name

    release.set()
    await asyncio.wait_for(running, timeout=10)
    await execution.sync()
    assert execution.state.value == "completed"  # mypy narrowed it to RUNNING above
    assert execution.worker == worker.name
    assert execution.started_at is not None
    assert execution.completed_at is not None
    assert execution.started_at <= execution.completed_at


async def test_a_failed_execution_records_its_error(docket: Docket, worker: Worker) -> None:
    async def broken() -> None:
        raise ValueError("the ledger does not balance")

    await docket.add(broken, key="broken")()
    await worker.run_until_finished()
    execution = await docket.get_execution("broken")
    assert execution is not None
    assert execution.state is ExecutionState.FAILED
    assert execution.error == "ValueError: the ledger does not balance"


async def test_a_retry_goes_back_to_scheduled_with_the_next_attempt(
    docket: Docket, make_worker: Any
) -> None:
    async def flaky(retry: Retry = Retry(attempts=3, delay=timedelta(hours=1))) -> None:
        raise ConnectionError("upstream down")

    worker: Worker = await make_worker()
    await docket.add(flaky, key="flaky")()
    running = asyncio.create_task(worker.run_forever())
    try:

        async def retried() -> bool:
            execution = await docket.get_execution("flaky")
            return execution is not None and execution.attempt == 2

        await wait_until(retried, what="the retry to be scheduled")
    finally:
        worker.stop()
        await running
    execution = await docket.get_execution("flaky")
    assert execution is not None
    assert execution.state is ExecutionState.SCHEDULED
    assert execution.error == "ConnectionError: upstream down"


async def test_a_cancelled_execution_is_recorded_as_cancelled(docket: Docket) -> None:
    async def job() -> None: ...

    await docket.add(job, when=datetime.now(UTC) + timedelta(hours=1), key="later")()
    assert await docket.cancel("later")
    execution = await docket.get_execution("later")
    assert execution is not None
    assert execution.state is ExecutionState.CANCELLED
    assert execution.function_name == "job"


async def test_arguments_this_process_cannot_unpickle_are_left_undecoded(docket: Docket) -> None:
    module = types.ModuleType("docket_tests_vanishing")
    exec("class Order:\n    def __init__(self, n):\n        self.n = n\n", module.__dict__)
    sys.modules[module.__name__] = module
    try:
        await docket.add("ship", key="ship-1")(module.Order(5))
    finally:
        del sys.modules[module.__name__]

    execution = await docket.get_execution("ship-1")
    assert execution is not None
    assert execution.function_name == "ship"
    assert execution.arguments_decoded is False
    assert (execution.args, execution.kwargs) == ((), {})


async def test_execution_ttl_zero_keeps_no_record(docket_url: str) -> None:
    async with Docket(f"zero-{id(docket_url)}", docket_url, execution_ttl=timedelta(0)) as docket:

        async def job() -> int:
            return 1

        await docket.add(job, key="job")()
        async with Worker(docket) as worker:
            await worker.run_until_finished()
        assert await docket.get_execution("job") is None
        pattern = docket.keys.task_prefix.replace("{", "\\{").replace("}", "\\}") + "*"
        assert [key async for key in docket.backend.client.scan_iter(match=pattern)] == []


@pytest.mark.parametrize("ttl", [timedelta(seconds=-1), 5])
def test_a_bad_execution_ttl_is_refused(ttl: Any) -> None:
    with pytest.raises(ValueError, match="execution_ttl"):
        Docket("d", "memory://x", execution_ttl=ttl)


async def test_no_key_without_a_ttl_remains_after_1000_finished_tasks(
    docket: Docket, worker: Worker
) -> None:
    async def ok(n: int) -> int:
        return n

    async def bad(n: int) -> None:
        raise RuntimeError(str(n))

    await docket.add_many(docket.call(ok, key=f"ok-{n}")(n) for n in range(900))
    await docket.add_many(docket.call(bad, key=f"bad-{n}")(n) for n in range(100))
    await worker.run_until_finished()

    client: Any = docket.backend.client
    k = docket.keys
    infrastructure = {k.stream, k.queue, k.dead, k.workers}
    pattern = "\\{" + docket.name + "\\}*"
    without_ttl = []
    records = 0
    async for raw in client.scan_iter(match=pattern, count=1000):
        key = raw.decode()
        if key in infrastructure:
            continue
        records += key.startswith(k.task_prefix)  # else the worker's heartbeat (a TTL too)
        if await client.pttl(raw) < 0:
            without_ttl.append(key)
    assert without_ttl == []
    assert records == 1000
