"""execution.subscribe(): the current state, then each change live, until it ends (issue 11)."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from docket import Docket, ExecutionProgress, Progress, Worker

from ..helpers import wait_until


async def collect(execution: Any, into: list[dict[str, Any]]) -> None:
    async for event in execution.subscribe():
        into.append(event)


async def test_subscribe_yields_state_changes_in_order(docket: Docket, worker: Worker) -> None:
    release = asyncio.Event()

    async def job(progress: ExecutionProgress = Progress()) -> int:
        await progress.set_total(2)
        await progress.increment()
        await release.wait()
        await progress.increment()
        return 7

    when = datetime.now(UTC) + timedelta(milliseconds=300)
    execution = await docket.add(job, when=when, key="job")()
    events: list[dict[str, Any]] = []
    following = asyncio.create_task(collect(execution, events))
    await wait_until(lambda: bool(events), what="the current state")
    async with worker.running():
        await wait_until(
            lambda: any(e["type"] == "progress" for e in events), what="the first progress"
        )
        release.set()
        await asyncio.wait_for(following, timeout=10)

    states = [e["state"] for e in events if e["type"] == "state"]
    assert states == ["scheduled", "queued", "running", "completed"]
    assert all(e["key"] == "job" for e in events)
    first = events[0]
    assert first["when"] == execution.when.isoformat()
    running = next(e for e in events if e.get("state") == "running")
    assert running["worker"] == worker.name
    assert "started_at" in running
    done = events[-1]
    assert done["type"] == "state"
    assert "completed_at" in done
    progress = [(e["current"], e["total"]) for e in events if e["type"] == "progress"]
    assert progress[0] == (1, 2)
    assert progress[-1] == (2, 2)


async def test_subscribe_to_a_finished_execution_yields_its_state_and_ends(
    docket: Docket, worker: Worker
) -> None:
    async def broken() -> None:
        raise KeyError("sku")

    execution = await docket.add(broken)()
    await worker.run_until_finished()
    events = [event async for event in execution.subscribe()]
    assert [e["state"] for e in events] == ["failed"]
    assert events[0]["error"] == "KeyError: 'sku'"


async def test_subscribe_sees_a_cancel(docket: Docket) -> None:
    async def job() -> None: ...

    execution = await docket.add(job, when=datetime.now(UTC) + timedelta(hours=1))()
    events: list[dict[str, Any]] = []
    following = asyncio.create_task(collect(execution, events))
    await wait_until(lambda: bool(events), what="the current state")
    await docket.cancel(execution.key)
    await asyncio.wait_for(following, timeout=10)
    assert [e["state"] for e in events] == ["scheduled", "cancelled"]
