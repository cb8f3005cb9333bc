"""Helpers for tests: wait for a condition with a deadline, check a docket's stored state."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from docket import Docket

BUILT_IN_TASKS = {"trace", "fail", "sleep"}
"""The tasks every docket has registered (docket.tasks)."""


async def wait_until(
    condition: Callable[[], bool | Awaitable[bool]], *, within: float = 10.0, what: str = ""
) -> None:
    """Poll `condition` until true, failing with `what` after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what or condition}")
        await asyncio.sleep(0.005)


async def assert_consistent(docket: Docket) -> None:
    """Every stored task key is either parked in the queue (or held by a strike) or has a
    message in the stream (or is what a cancel remembers of itself, or a finished execution's
    record: expiring); on each shard of a sharded docket."""
    for shard in docket._views or [docket]:
        await _assert_consistent(shard)


async def _assert_consistent(docket: Docket) -> None:
    client: Any = docket.backend.client
    keys = docket.keys
    parked = {member.decode() for member in await client.zrange(keys.queue, 0, -1)}
    held = {member.decode() for member in await client.zrange(keys.held, 0, -1)}  # struck
    stream_ids = {entry[0] for entry in await client.xrange(keys.stream)}
    pattern = keys.task_prefix.replace("{", "\\{").replace("}", "\\}") + "*"
    async for raw in client.scan_iter(match=pattern):
        task_key = raw.decode().removeprefix(keys.task_prefix)
        fields = await client.hgetall(raw)
        if set(fields) == {b"c"}:  # what a cancel remembers of itself, for a while
            assert await client.pttl(raw) > 0, f"cancelled task {task_key!r} has no TTL"
            continue
        if fields.get(b"s") in (b"completed", b"failed", b"cancelled"):
            assert b"p" not in fields, f"record {task_key!r}: {fields}"
            assert await client.pttl(raw) > 0, f"the record of {task_key!r} has no TTL"
            continue
        if b"h" in fields:  # held by a strike: parked in the held set instead of the queue
            assert b"p" in fields, f"held task {task_key!r} has no payload: {fields}"
            assert task_key in held, f"held task {task_key!r} is not in the held set"
        elif b"p" in fields:
            assert task_key in parked, f"task {task_key!r} holds a payload but is not in the queue"
        else:
            assert b"m" in fields, f"task {task_key!r} is neither parked nor streamed: {fields}"
            assert fields[b"m"] in stream_ids, f"task {task_key!r} points to a missing message"
    for member in parked:
        assert await client.exists(keys.task(member)), f"queue entry {member!r} has no task"
