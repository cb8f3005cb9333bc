"""Sharded dockets: one docket's work spread over N hash tags, ``{name:0}`` … ``{name:N-1}``.

A task lives on the shard of its key (`shard_of`), so each key still has at most one pending
execution; on Redis Cluster the shards land on different slots, so on different masters.
What belongs to the whole docket (its workers' heartbeats, its number of shards) stays under
``{name}``. Every shard has its own stream, queue, dead letters, task hashes and copy of the
strikes; workers consume all of them. Ordering across shards is not promised.

The number of shards is recorded in ``{name}:shards`` by the first sharded client, and a
client opened with another number is refused while the docket holds work in its current
layout: the migration is to drain it first (stop the producers, let the workers finish,
``docket worker --until-finished``), then open it with the new number.
"""

import asyncio
import heapq
from typing import TYPE_CHECKING

from ._backends import open_backend
from ._backends._credentials import Credentials
from ._clear import clear
from ._dead import DeadLetter, list_dead_letters, purge_dead_letters, requeue_dead_letters
from ._docket_snapshot import DocketSnapshot, take_snapshot
from ._errors import ShardCountError
from ._keys import DocketKeys
from ._workers import read_workers

if TYPE_CHECKING:
    from ._docket import Docket

MAX_SHARDS = 1024


def check_shards(shards: int) -> int:
    """Refuse a number of shards that cannot be used."""
    if isinstance(shards, bool) or not isinstance(shards, int):
        raise ValueError(f"Docket(shards={shards!r}) must be an int (1 keeps one shard).")
    if not 1 <= shards <= MAX_SHARDS:
        raise ValueError(f"Docket(shards={shards}) must be between 1 and {MAX_SHARDS}.")
    return shards


async def check_layout(docket: "Docket") -> None:
    """Refuse to open `docket` with another number of shards than its work is laid out in,
    and record the number the first time a sharded client opens it (one round trip when the
    layout matches)."""
    keys, transport = docket.keys, docket.backend.transport
    stored = await transport.execute("GET", keys.shards)
    recorded = int(stored) if stored is not None else 1
    if recorded == docket.shards:
        return
    if await _holds_work(docket, recorded):
        raise ShardCountError(
            f"docket {docket.name!r} is laid out in {recorded} shard(s) and still holds work "
            f"there, so it cannot be opened with shards={docket.shards}: open it with "
            f"shards={recorded}, or migrate by draining it first (stop adding, let the workers "
            "finish, e.g. `docket worker --until-finished`), then open it with the new number."
        )
    if docket.shards == 1:
        await transport.execute("DEL", keys.shards)
    else:
        await transport.execute("SET", keys.shards, docket.shards)


async def _holds_work(docket: "Docket", shards: int) -> bool:
    """Whether the layout of `shards` shards has any entry, parked, held or dead task."""
    base = DocketKeys.for_docket(docket.name)
    layouts = [base] if shards == 1 else [base.shard(i) for i in range(shards)]
    for keys in layouts:
        backend = open_backend(docket.url, keys, docket.backend.credentials)
        try:
            counts = await backend.transport.execute_many(
                [("XLEN", keys.stream), ("ZCARD", keys.queue), ("ZCARD", keys.held),
                 ("XLEN", keys.dead)]
            )  # fmt: skip
        finally:
            await backend.close()
        if any(not isinstance(count, Exception) and int(count) for count in counts):
            return True
    return False


async def open_views(docket: "Docket", credentials: Credentials | None) -> None:
    """Give every shard view of `docket` its own backend (on a cluster, connected to the
    master of that shard's slot)."""
    parent = docket.backend
    for view in docket._views:
        backend = open_backend(docket.url, view.keys, credentials)
        backend.scripts.record_ms = parent.scripts.record_ms
        backend.scripts.signer = parent.scripts.signer
        view._backend = backend
    await asyncio.gather(*(view.backend.ping() for view in docket._views))


async def close_views(docket: "Docket") -> None:
    for view in docket._views:
        if view._followers is not None:
            await view._followers.close()
            view._followers = None
        if view._backend is not None:
            await view._backend.close()
            view._backend = None


async def snapshot(docket: "Docket", limit: int) -> DocketSnapshot:
    """The sum of every shard's snapshot; the lists merged, soonest (or oldest) first."""
    parts = await asyncio.gather(
        *(take_snapshot(view, limit, with_workers=False) for view in docket._views)
    )
    future = heapq.merge(*(part.future for part in parts), key=lambda e: e.when_ms)
    running = heapq.merge(*(part.running for part in parts), key=lambda e: e.started)
    dues = [part.next_due for part in parts if part.next_due is not None]
    return DocketSnapshot(
        taken=min(part.taken for part in parts),
        total_tasks=sum(part.total_tasks for part in parts),
        future=list(future)[:limit],
        running=list(running)[:limit],
        workers=await read_workers(docket),
        queued_count=sum(part.queued_count for part in parts),
        scheduled_count=sum(part.scheduled_count for part in parts),
        due_count=sum(part.due_count for part in parts),
        running_count=sum(part.running_count for part in parts),
        held_count=sum(part.held_count for part in parts),
        dead_letters=sum(part.dead_letters for part in parts),
        next_due=min(dues) if dues else None,
        limit=limit,
    )


async def clear_all(docket: "Docket") -> int:
    return sum(await asyncio.gather(*(clear(view) for view in docket._views)))


async def dead_letters(docket: "Docket", limit: int) -> list[DeadLetter]:
    """Every shard's dead letters, oldest first (by when they died), at most `limit`."""
    parts = await asyncio.gather(
        *(list_dead_letters(view.backend, limit) for view in docket._views)
    )
    return list(heapq.merge(*parts, key=_died))[:limit]


def _died(letter: DeadLetter) -> tuple[int, int]:
    ms, _, sequence = letter.id.partition("-")
    return int(ms), int(sequence or 0)


async def requeue(docket: "Docket", key: str | None) -> int:
    views = docket._views if key is None else [docket._view_for(key)]
    return sum(await asyncio.gather(*(requeue_dead_letters(view.backend, key) for view in views)))


async def purge(docket: "Docket", key: str | None) -> int:
    views = docket._views if key is None else [docket._view_for(key)]
    return sum(await asyncio.gather(*(purge_dead_letters(view.backend, key) for view in views)))


SHARDS_ENVVAR = "DOCKET_SHARDS"


def shards_from_environment() -> int | None:
    """DOCKET_SHARDS (for the CLI), checked; None when it is not set."""
    import os

    text = os.environ.get(SHARDS_ENVVAR, "").strip()
    if not text:
        return None
    try:
        return check_shards(int(text))
    except ValueError:
        raise ValueError(
            f"{SHARDS_ENVVAR}={text!r} must be a whole number of shards from 1 to {MAX_SHARDS}."
        ) from None


async def recorded_shards(name: str, url: str) -> int:
    """The number of shards docket `name` at `url` is laid out in (1 if never sharded)."""
    from ._opening import connection_error

    keys = DocketKeys.for_docket(name)
    backend = open_backend(url, keys)
    try:
        stored = await backend.transport.execute("GET", keys.shards)
    except BaseException as error:
        converted = connection_error(url, name, error)
        if converted is error:
            raise
        raise converted from error
    finally:
        await backend.close()
    return int(stored) if stored is not None else 1
