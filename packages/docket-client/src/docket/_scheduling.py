"""Sending calls to a docket: one call (`add`, `replace`) and many (`add_many`, `replace_many`),
through strikes, size checks, telemetry and outages (see docket._reconnect)."""

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._calls import Call, call_builder
from ._docket_options import Running
from ._errors import InvalidScheduleError
from ._execution import Execution
from ._keys import shard_of
from ._limits import check_sizes

if TYPE_CHECKING:
    from ._backends import RedisBackend
    from ._docket import Docket


def prepare(
    docket: "Docket",
    function: Callable[..., Awaitable[Any]] | str,
    when: datetime | None,
    key: str | None,
    *,
    replace: bool,
    running: Running = "finish",
) -> Callable[..., Awaitable[Execution]]:
    """What `docket.add(...)` and `docket.replace(...)` return: called with the task's
    arguments, it schedules one execution in one round trip."""
    build = call_builder(docket, function, when, key, may_generate=not replace)

    async def schedule(*args: Any, **kwargs: Any) -> Execution:
        call = build(*args, **kwargs)
        if docket._telemetry is not None:
            return await docket._telemetry.schedule(call, replace, send)
        return await send(call)

    async def send(call: Call) -> Execution:
        execution = call.execution
        backend = docket._view_for(execution.key).backend if docket._views else docket.backend
        if docket._strikes.active and docket._strikes.refuse(execution):
            return execution
        await check_sizes(backend, [call])
        if call.generated:
            execution.key = execution.token = await docket._persist(
                f"schedule {execution.function_name} (under a new key)",
                lambda resend: backend.add_generated(call.payload),
            )
            execution.scheduled = True
            return execution
        arguments = call.schedule_args(docket.now_ms())
        replicated = docket.durability == "replicated"
        execution.scheduled = await docket._persist(
            f"schedule {execution.function_name} (key={execution.key})",
            lambda resend: backend.schedule(
                arguments,
                replace=replace,
                resend=resend,
                replicated=replicated,
                running=running,
            ),
        )
        return execution

    return schedule


async def schedule_calls(
    docket: "Docket", calls: Iterable[Call], chunk_size: int, *, atomic: bool, replace: bool
) -> list[Execution]:
    """add_many or replace_many: one Execution per call, in order (see Docket.add_many)."""
    telemetry = docket._telemetry
    if telemetry is None:
        return await _unstruck(docket, calls, chunk_size, atomic=atomic, replace=replace)
    traced = telemetry.traced_calls(calls)
    executions = await _unstruck(docket, traced, chunk_size, atomic=atomic, replace=replace)
    telemetry.count(executions, replace)
    return executions


async def _unstruck(
    docket: "Docket", calls: Iterable[Call], chunk_size: int, *, atomic: bool, replace: bool
) -> list[Execution]:
    """The calls scheduled, those a strike in effect matches refused (Disposition.STRUCK)."""
    if not docket._strikes.active:
        if atomic:
            return await _batch(docket, calls, replace=replace)
        return await _chunks(docket, calls, chunk_size, replace=replace)
    batch = list(calls)
    wanted = [call for call in batch if not docket._strikes.refuse(call.execution)]
    if atomic:
        await _batch(docket, wanted, replace=replace)
    else:
        await _chunks(docket, wanted, chunk_size, replace=replace)
    return [call.execution for call in batch]


async def _batch(docket: "Docket", calls: Iterable[Call], *, replace: bool) -> list[Execution]:
    """All the calls in one script run: every one scheduled, or none."""
    batch = list(calls)
    if not batch:
        return []
    backend = _one_shard(docket, batch)
    await check_sizes(backend, batch)
    now = docket.now_ms()
    arguments = [call.schedule_args(now) for call in batch]
    replicated = docket.durability == "replicated"
    scheduled = await docket._persist(
        f"schedule the {len(batch)} calls of an atomic batch (all of them or none)",
        lambda resend: backend.schedule_many(
            arguments, replace=replace, resend=resend, replicated=replicated, atomic=True
        ),
    )
    for call, was_scheduled in zip(batch, scheduled, strict=True):
        call.execution.scheduled = was_scheduled
    return [call.execution for call in batch]


async def _chunks(
    docket: "Docket", calls: Iterable[Call], chunk_size: int, *, replace: bool
) -> list[Execution]:
    """The calls `chunk_size` per round trip (per shard), every chunk written at once."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size={chunk_size} must be at least 1.")
    batch = list(calls)
    await check_sizes(docket.backend, batch)
    now = docket.now_ms()
    total = len(batch)
    replicated = docket.durability == "replicated"

    async def send(backend: "RedisBackend", chunk: tuple[Call, ...]) -> None:
        arguments = [call.schedule_args(now) for call in chunk]
        scheduled = await docket._persist(
            f"schedule all {total} calls (chunks of {chunk_size}; others may have gone through)",
            lambda resend: backend.schedule_many(
                arguments, replace=replace, resend=resend, replicated=replicated
            ),
        )
        for call, was_scheduled in zip(chunk, scheduled, strict=True):
            call.execution.scheduled = was_scheduled

    # Every chunk is written at once, so Redis works on one while the next is packed.
    sends = [
        send(backend, chunk)
        for backend, shard_calls in _by_shard(docket, batch)
        for chunk in itertools.batched(shard_calls, chunk_size)
    ]
    for failed in await asyncio.gather(*sends, return_exceptions=True):
        if isinstance(failed, BaseException):
            raise failed
    return [call.execution for call in batch]


def _by_shard(docket: "Docket", calls: list[Call]) -> list[tuple["RedisBackend", list[Call]]]:
    """The calls grouped by the shard of their key, in order (one group on one shard)."""
    if not docket._views:
        return [(docket.backend, calls)]
    groups: dict[int, list[Call]] = {}
    for call in calls:
        groups.setdefault(shard_of(call.execution.key, docket.shards), []).append(call)
    return [(docket._views[index].backend, group) for index, group in groups.items()]


def _one_shard(docket: "Docket", calls: list[Call]) -> "RedisBackend":
    """The backend of the one shard an atomic batch falls on; refused across shards."""
    groups = _by_shard(docket, calls)
    if len(groups) > 1:
        raise InvalidScheduleError(
            f"an atomic batch must stay on one shard, but the keys of these {len(calls)} calls "
            f"fall on {len(groups)} of docket {docket.name!r}'s {docket.shards} shards: send it "
            "without atomic=True (each call still keeps add's key semantics), or keep the "
            "all-or-nothing batches on a docket with shards=1."
        )
    return groups[0][0]
