"""Tasks added without a key on a docket that keeps no records: one plain XADD each, their key
made from the stream entry's id (docket._generated). Every key rule still holds for them."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated

import pytest
from docket import (
    ConcurrencyLimit,
    CurrentExecution,
    Docket,
    Execution,
    ExecutionState,
    Retry,
    Worker,
)

from ..helpers import assert_consistent, wait_until
from ._support import stored_keys


@pytest.fixture
async def fire_and_forget(docket_url: str) -> AsyncIterator[Docket]:
    """A docket that keeps no records: its keyless adds are generated ones."""
    name = f"test-{uuid.uuid4().hex}"
    async with Docket(name=name, url=docket_url, execution_ttl=timedelta(0)) as opened:
        yield opened
        await assert_consistent(opened)


async def task_hashes(docket: Docket) -> list[str]:
    return [key for key in await stored_keys(docket) if key.startswith(docket.keys.task_prefix)]


async def test_a_keyless_add_is_keyed_by_its_entry_and_leaves_no_task_hash(
    fire_and_forget: Docket,
) -> None:
    seen: list[str] = []

    async def note(execution: Execution = CurrentExecution()) -> None:
        seen.append(execution.key)

    first = await fire_and_forget.add(note)()
    second = await fire_and_forget.add(note)()

    assert first.key.startswith("~")
    assert first.key != second.key
    assert first.token == first.key
    assert await task_hashes(fire_and_forget) == []
    async with Worker(fire_and_forget) as worker:
        await worker.run_until_finished()
    assert sorted(seen) == sorted([first.key, second.key])
    assert await task_hashes(fire_and_forget) == []


async def test_a_generated_key_can_be_cancelled_while_queued(fire_and_forget: Docket) -> None:
    runs: list[str] = []

    async def job(label: str) -> None:
        runs.append(label)

    doomed = await fire_and_forget.add(job)("doomed")
    await fire_and_forget.add(job)("kept")

    assert await fire_and_forget.cancel(doomed.key) is True
    assert await fire_and_forget.cancel(doomed.key) is False
    async with Worker(fire_and_forget) as worker:
        await worker.run_until_finished()
    assert runs == ["kept"]


async def test_a_generated_key_is_unique_among_pending_work(fire_and_forget: Docket) -> None:
    runs: list[str] = []

    async def job(label: str) -> None:
        runs.append(label)

    original = await fire_and_forget.add(job)("original")
    again = await fire_and_forget.add(job, key=original.key)("again")
    assert again.scheduled is False

    await fire_and_forget.replace(job, datetime.now(UTC), original.key)("replacement")
    async with Worker(fire_and_forget) as worker:
        await worker.run_until_finished()
    assert runs == ["replacement"]


async def test_get_execution_finds_a_queued_generated_key(fire_and_forget: Docket) -> None:
    async def job() -> None: ...

    added = await fire_and_forget.add(job)()

    execution = await fire_and_forget.get_execution(added.key)
    assert execution is not None
    assert execution.state == ExecutionState.QUEUED
    assert execution.function_name == "job"
    async with Worker(fire_and_forget) as worker:
        await worker.run_until_finished()
    assert await fire_and_forget.get_execution(added.key) is None


async def test_a_retried_generated_key_keeps_its_key_and_leaves_nothing(
    fire_and_forget: Docket,
) -> None:
    attempts: list[tuple[str, int]] = []

    async def flaky(
        retry: Retry = Retry(attempts=3), execution: Execution = CurrentExecution()
    ) -> None:
        attempts.append((execution.key, retry.attempt))
        if retry.attempt < 3:
            raise RuntimeError("not yet")

    added = await fire_and_forget.add(flaky)()
    async with Worker(fire_and_forget) as worker:
        await worker.run_until_finished()

    assert attempts == [(added.key, 1), (added.key, 2), (added.key, 3)]
    assert await task_hashes(fire_and_forget) == []


async def test_a_running_generated_key_can_be_cancelled(fire_and_forget: Docket) -> None:
    started, stopped = asyncio.Event(), asyncio.Event()

    async def endless() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            stopped.set()
            raise

    added = await fire_and_forget.add(endless)()
    async with Worker(fire_and_forget).running():
        await asyncio.wait_for(started.wait(), timeout=10)
        assert await fire_and_forget.cancel(added.key) is True
        await asyncio.wait_for(stopped.wait(), timeout=10)


async def test_a_handed_back_generated_key_runs_again_under_its_key_and_can_be_cancelled(
    fire_and_forget: Docket,
) -> None:
    started = asyncio.Event()
    runs: list[str] = []

    async def stuck(execution: Execution = CurrentExecution()) -> None:
        runs.append(execution.key)
        started.set()
        await asyncio.Event().wait()

    fire_and_forget.register(stuck)
    async with Worker(fire_and_forget, shutdown_timeout=timedelta(milliseconds=50)).running():
        added = await fire_and_forget.add(stuck)()
        await asyncio.wait_for(started.wait(), timeout=10)

    execution = await fire_and_forget.get_execution(added.key)
    assert execution is not None
    assert execution.state == ExecutionState.QUEUED

    async def quick(execution: Execution = CurrentExecution()) -> None:
        runs.append(execution.key)

    fire_and_forget.tasks["stuck"] = quick
    async with Worker(fire_and_forget) as successor:
        await successor.run_until_finished()
    assert runs == [added.key, added.key]
    assert await task_hashes(fire_and_forget) == []


async def test_a_handed_back_generated_key_can_be_cancelled(fire_and_forget: Docket) -> None:
    started = asyncio.Event()

    async def stuck() -> None:
        started.set()
        await asyncio.Event().wait()

    async with Worker(fire_and_forget, shutdown_timeout=timedelta(milliseconds=50)).running():
        added = await fire_and_forget.add(stuck)()
        await asyncio.wait_for(started.wait(), timeout=10)

    assert await fire_and_forget.cancel(added.key) is True
    snapshot = await fire_and_forget.snapshot()
    assert snapshot.total_tasks == 0


async def test_a_struck_generated_key_is_held_and_runs_under_its_key_once_restored(
    fire_and_forget: Docket,
) -> None:
    runs: list[str] = []

    async def job(execution: Execution = CurrentExecution()) -> None:
        runs.append(execution.key)

    fire_and_forget.register(job)
    async with Worker(fire_and_forget).running():
        await fire_and_forget.strike(job)
        await wait_until(lambda: bool(fire_and_forget.strikes), what="the strike in effect")
        # A strike refuses new adds at the client: this one is sent by a client without it.
        async with Docket(
            name=fire_and_forget.name, url=fire_and_forget.url, execution_ttl=timedelta(0)
        ) as other:
            other._strikes.active = False
            added = await other.add(job)()

        async def held() -> bool:
            return await fire_and_forget.backend.client.zcard(fire_and_forget.keys.held) == 1

        await wait_until(held, what="the struck execution held")
        await fire_and_forget.restore(job)
        await wait_until(lambda: runs == [added.key], what="the restored execution's run")


async def test_generated_keys_parked_by_a_concurrency_limit_run_under_their_keys(
    fire_and_forget: Docket,
) -> None:
    runs: list[str] = []

    async def limited(
        customer: Annotated[int, ConcurrencyLimit(1)], execution: Execution = CurrentExecution()
    ) -> None:
        runs.append(execution.key)
        await asyncio.sleep(0.01)

    added = [await fire_and_forget.add(limited)(7) for _ in range(3)]
    async with Worker(fire_and_forget, concurrency=5) as worker:
        await worker.run_until_finished()
    assert sorted(runs) == sorted(execution.key for execution in added)


async def test_a_signed_keyless_add_is_verified_and_runs(docket_url: str) -> None:
    runs: list[str] = []

    async def job(execution: Execution = CurrentExecution()) -> None:
        runs.append(execution.key)

    name = f"test-{uuid.uuid4().hex}"
    async with Docket(
        name=name, url=docket_url, execution_ttl=timedelta(0), signing_keys=[b"k" * 32]
    ) as signed:
        added = await signed.add(job)()
        async with Worker(signed) as worker:
            await worker.run_until_finished()
        assert runs == [added.key]
        assert await signed.dead_letters() == []
