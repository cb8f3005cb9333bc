"""A worker of a sharded docket (docket._sharding): one shard worker per shard, one budget.

Each shard worker is a Worker on that shard's view (docket._shard_view): its own fetch loop,
acks, leases, reclaim sweep, scheduler and hand-back, all on the shard's keys, so everything
written for one stream holds per shard (message ids are unique only within a stream). They
share the worker's name, its `concurrency` (a slot freed on one shard can go to any) and its
Shared values; the worker itself beats the docket's heartbeat for all of them. Fair between
shards: every fetch loop waits for the same freed slots, and while a shard has no work its
loop blocks on that shard's stream alone, so a busy shard never starves a quiet one's reads.
"""

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from docket._keys import shard_of
from docket._perpetual import Perpetual

from ._outage import survive_outages

if TYPE_CHECKING:
    from ._worker import Worker


def shard_workers(worker: "Worker", options: dict[str, Any]) -> "list[Worker]":
    """One Worker per shard of `worker`'s docket, sharing its budget and name."""
    from ._worker import Worker

    shards = []
    for view in worker.docket._views:
        shard = Worker(view, name=worker.name, concurrency=worker.concurrency, **options)
        shard.root = worker
        shard.dispatcher.slot_freed = worker.dispatcher.slot_freed
        shard.dispatcher.run_counts = worker.dispatcher.run_counts  # sent by the root's beats
        shards.append(shard)
    siblings = [shard.dispatcher for shard in shards]
    for shard in shards:
        shard.dispatcher.siblings = siblings
    return shards


def automatic_on_shard(
    shard: "Worker", tasks: list[tuple[Callable[..., Any], Perpetual]]
) -> list[tuple[Callable[..., Any], Perpetual]]:
    """The automatic tasks whose chain (keyed by the task's name) lives on `shard`'s shard."""
    root = shard.root.docket
    index = getattr(shard.docket, "shard_index", 0)
    return [(f, p) for f, p in tasks if shard_of(f.__name__, root.shards) == index]


async def run_shards(worker: "Worker", until_finished: bool) -> None:
    """Run every shard worker, and the heartbeat of them all, until they end. A shard that
    fails stops the others, which still finish or hand back their work; then it raises."""

    async def run(shard: "Worker") -> None:
        try:
            await shard._run(until_finished=until_finished)
        except BaseException:
            worker.stop()
            raise

    heartbeat = asyncio.create_task(survive_outages(worker.outage, worker.heartbeat.run))
    try:
        outcomes = await asyncio.gather(
            *(run(shard) for shard in worker.shards), return_exceptions=True
        )
    finally:
        heartbeat.cancel()
        await asyncio.gather(heartbeat, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
