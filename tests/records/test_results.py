"""Results: what a task returned or raised, waited for by get_result (issue 11)."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from docket import Docket, ExecutionCancelled, ResultUnavailableError, Worker


class OrderRejected(Exception):
    pass


async def test_a_result_reaches_another_client(docket: Docket, worker: Worker) -> None:
    async def answer() -> int:
        return 42

    await docket.add(answer, key="answer")()
    await worker.run_until_finished()
    async with Docket(docket.name, docket.url) as other:
        execution = await other.get_execution("answer")
        assert execution is not None
        assert await execution.get_result() == 42


async def test_get_result_waits_for_a_running_task(docket: Docket, worker: Worker) -> None:
    release = asyncio.Event()

    async def slow() -> dict[str, int]:
        await release.wait()
        return {"rows": 3}

    execution = await docket.add(slow)()
    async with worker.running():
        waiting = asyncio.create_task(execution.get_result(timeout=timedelta(seconds=10)))
        await asyncio.sleep(0)
        assert not waiting.done()
        release.set()
        assert await waiting == {"rows": 3}


async def test_a_failure_reraises_its_exception(docket: Docket, worker: Worker) -> None:
    async def reject(order: int) -> None:
        raise OrderRejected(f"order {order} has no lines")

    execution = await docket.add(reject)(12)
    await worker.run_until_finished()
    with pytest.raises(OrderRejected, match="order 12 has no lines"):
        await execution.get_result()


async def test_a_none_result_is_none(docket: Docket, worker: Worker) -> None:
    async def nothing() -> None: ...

    execution = await docket.add(nothing)()
    await worker.run_until_finished()
    assert await execution.get_result() is None


async def test_get_result_of_a_future_task_times_out(docket: Docket) -> None:
    async def later() -> None: ...

    execution = await docket.add(later, when=datetime.now(UTC) + timedelta(hours=1))()
    with pytest.raises(TimeoutError):
        await execution.get_result(timeout=timedelta(seconds=0.1))
    with pytest.raises(TimeoutError):
        await execution.get_result(deadline=datetime.now(UTC) + timedelta(seconds=0.1))
    with pytest.raises(TimeoutError):
        await execution.get_result(timeout=0.1)  # seconds, as a number, work too


async def test_timeout_and_deadline_together_are_refused(docket: Docket) -> None:
    async def job() -> None: ...

    execution = await docket.add(job)()
    with pytest.raises(ValueError, match="not both"):
        await execution.get_result(timeout=timedelta(1), deadline=datetime.now(UTC))


async def test_a_cancelled_execution_raises_execution_cancelled(docket: Docket) -> None:
    async def job() -> None: ...

    execution = await docket.add(job, when=datetime.now(UTC) + timedelta(hours=1))()
    waiting = asyncio.create_task(execution.get_result())
    await asyncio.sleep(0.05)  # let it subscribe; the cancel must wake it either way
    await docket.cancel(execution.key)
    with pytest.raises(ExecutionCancelled):
        await asyncio.wait_for(waiting, timeout=10)


async def test_a_result_that_does_not_pickle_fails_the_execution(
    docket: Docket, worker: Worker
) -> None:
    async def generator() -> Any:
        return (n for n in range(3))  # generators cannot be pickled

    execution = await docket.add(generator)()
    await worker.run_until_finished()
    with pytest.raises(Exception, match="cannot be pickled"):
        await execution.get_result()


class DictStorage:
    """A result storage in this process, as a user's S3 or database adapter would be."""

    def __init__(self) -> None:
        self.values: dict[str, bytes] = {}
        self.ttls: dict[str, timedelta] = {}

    async def put(self, key: str, value: bytes, ttl: timedelta) -> None:
        self.values[key], self.ttls[key] = value, ttl

    async def get(self, key: str) -> bytes | None:
        return self.values.get(key)

    async def delete(self, key: str) -> None:
        self.values.pop(key, None)


async def test_results_can_live_in_a_result_storage(docket_url: str) -> None:
    storage = DictStorage()
    name = f"stored-{id(storage)}"
    async with Docket(name, docket_url, result_storage=storage) as docket:

        async def big() -> bytes:
            return b"x" * 100_000

        execution = await docket.add(big, key="big")()
        async with Worker(docket) as worker:
            await worker.run_until_finished()
        assert await execution.get_result() == b"x" * 100_000
        assert list(storage.ttls.values()) == [docket.execution_ttl]
        assert await docket.backend.client.hget(docket.keys.task("big"), "r") is None

    async with Docket(name, docket_url) as without:
        found = await without.get_execution("big")
        assert found is not None
        with pytest.raises(ResultUnavailableError, match="result_storage"):
            await found.get_result()


def test_a_result_storage_needs_put_get_and_delete() -> None:
    with pytest.raises(TypeError, match="put/get/delete"):
        Docket("d", "memory://x", result_storage=object())  # type: ignore[arg-type]


async def test_get_result_needs_records(docket_url: str) -> None:
    async with Docket("no-records", docket_url, execution_ttl=timedelta(0)) as docket:

        async def job() -> None: ...

        execution = await docket.add(job)()
        with pytest.raises(RuntimeError, match="execution_ttl=0"):
            await execution.get_result()
