"""Docket(shards=N): one docket's work spread over N hash tags, on every backend.

Each test opens its own sharded docket on the shared behaviour suite's URL (a Redis server,
memory://, the local cluster, Sentinel) and checks what a user sees: where tasks land, that
a key keeps its semantics whichever client sends it, that workers drain every shard fairly,
and that snapshots, dead letters, strikes and clear cover all shards.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from docket import (
    ConcurrencyLimit,
    Docket,
    InvalidScheduleError,
    Perpetual,
    ShardCountError,
    Worker,
)
from docket._keys import shard_of

from ..helpers import assert_consistent, wait_until
from ._support import soon, tomorrow

SHARDS = 3


@pytest.fixture
def name() -> str:
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture
async def sharded(docket_url: str, name: str) -> AsyncIterator[Docket]:
    async with Docket(name=name, url=docket_url, shards=SHARDS) as opened:
        yield opened
        await assert_consistent(opened)


def keys_on_every_shard(count: int = 4) -> list[str]:
    """`count` keys for each shard, interleaved shard by shard."""
    found: dict[int, list[str]] = {i: [] for i in range(SHARDS)}
    n = 0
    while any(len(keys) < count for keys in found.values()):
        key = f"k{n}"
        n += 1
        if len(found[shard_of(key, SHARDS)]) < count:
            found[shard_of(key, SHARDS)].append(key)
    return [found[i][j] for j in range(count) for i in range(SHARDS)]


async def test_each_task_lands_under_the_tag_of_its_keys_shard(sharded: Docket) -> None:
    async def noop() -> None: ...

    keys = keys_on_every_shard(2)
    for key in keys:
        await sharded.add(noop, when=tomorrow(), key=key)()

    for index, view in enumerate(sharded._views):
        assert view.keys.queue == "{" + f"{sharded.name}:{index}" + "}:queue"
        parked: list[bytes] = await view.backend.client.zrange(view.keys.queue, 0, -1)  # type: ignore[assignment]
        assert sorted(m.decode() for m in parked) == sorted(
            key for key in keys if shard_of(key, SHARDS) == index
        )
    snapshot = await sharded.snapshot()
    assert snapshot.scheduled_count == len(keys) == snapshot.total_tasks
    assert {e.key for e in snapshot.future} == set(keys)


async def test_a_key_is_unique_among_pending_work_whichever_client_adds_it(
    docket_url: str, name: str
) -> None:
    async def send(n: int) -> None: ...

    clients = [Docket(name=name, url=docket_url, shards=SHARDS) for _ in range(4)]
    for client in clients:
        await client.__aenter__()
    try:
        added = await asyncio.gather(
            *(c.add(send, when=tomorrow(), key="one")(i) for i, c in enumerate(clients * 5))
        )
        assert sum(e.scheduled for e in added) == 1

        await asyncio.gather(
            *(c.replace(send, when=tomorrow(), key="one")(100 + i) for i, c in enumerate(clients))
        )
        snapshot = await clients[0].snapshot()
        assert [e.key for e in snapshot.future] == ["one"]
        found = await clients[1].get_execution("one")
        assert found is not None
        assert found.args[0] >= 100

        assert await clients[2].cancel("one")
        assert await clients[3].get_execution("one") is None or (
            (await clients[3].snapshot()).total_tasks == 0
        )
        assert (await clients[0].snapshot()).total_tasks == 0
        assert not await clients[1].cancel("one")
    finally:
        for client in clients:
            await client.__aexit__(None, None, None)


async def test_one_worker_drains_every_shard_and_runs_each_task_once(sharded: Docket) -> None:
    ran: list[str] = []

    async def record(key: str) -> None:
        ran.append(key)

    keys = keys_on_every_shard(20)
    await sharded.add_many(sharded.call(record, key=key)(key) for key in keys)
    later = [f"later-{n}" for n in range(9)]
    for key in later:
        await sharded.add(record, when=soon(50), key=key)(key)

    async with Worker(sharded, concurrency=5) as worker:
        await worker.run_until_finished()
        assert worker.statistics().succeeded == len(keys) + len(later)

    assert sorted(ran) == sorted(keys + later)
    assert (await sharded.snapshot()).total_tasks == 0


async def test_no_shard_is_starved_by_the_others(sharded: Docket) -> None:
    ran: list[int] = []

    async def record(shard: int) -> None:
        ran.append(shard)
        await asyncio.sleep(0.001)

    keys = keys_on_every_shard(40)
    # Shard 0's tasks first: a fair worker still serves the others long before it is done.
    keys.sort(key=lambda key: shard_of(key, SHARDS))
    await sharded.add_many(sharded.call(record, key=k)(shard_of(k, SHARDS)) for k in keys)

    async with Worker(sharded, concurrency=2) as worker:
        await worker.run_until_finished()

    first_half = ran[: len(ran) // 2]
    assert set(first_half) == set(range(SHARDS)), first_half


async def test_a_task_can_add_work_on_another_shard(sharded: Docket) -> None:
    ran: list[str] = []

    async def second() -> None:
        ran.append("second")

    async def first() -> None:
        ran.append("first")
        await sharded.add(second, key=other)()

    keys = keys_on_every_shard(1)
    start, other = keys[0], keys[1]
    sharded.register(second)
    await sharded.add(first, key=start)()

    async with Worker(sharded) as worker:
        await worker.run_until_finished()

    assert ran == ["first", "second"]


async def test_the_concurrency_budget_spans_the_shards(sharded: Docket) -> None:
    running = 0
    most = 0

    async def busy() -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        running -= 1

    await sharded.add_many(sharded.call(busy, key=key)() for key in keys_on_every_shard(8))
    async with Worker(sharded, concurrency=3) as worker:
        await worker.run_until_finished()

    assert most == 3


async def test_dead_letters_of_every_shard_are_listed_requeued_and_purged(
    sharded: Docket,
) -> None:
    keys = keys_on_every_shard(1)
    for key in keys:
        await sharded.add("no_such_task", key=key)()

    async with Worker(sharded, unknown_task_grace=timedelta(0)) as worker:
        await worker.run_until_finished()

    letters = await sharded.dead_letters()
    assert sorted(letter.key for letter in letters) == sorted(keys)
    assert (await sharded.snapshot()).dead_letters == SHARDS

    assert await sharded.requeue_dead_letters(keys[1]) == 1
    assert (await sharded.snapshot()).queued_count == 1
    assert await sharded.purge_dead_letters() == SHARDS - 1
    assert await sharded.clear() == 1
    assert (await sharded.snapshot()).total_tasks == 0


async def test_purge_of_one_key_deletes_its_letter_on_its_shard_only(sharded: Docket) -> None:
    keys = keys_on_every_shard(2)
    for key in keys:
        await sharded.add("no_such_task", key=key)()
    async with Worker(sharded, unknown_task_grace=timedelta(0)) as worker:
        await worker.run_until_finished()
    gone = next(key for key in keys if shard_of(key, SHARDS) == 2)

    assert await sharded.purge_dead_letters(gone) == 1
    assert await sharded.purge_dead_letters(gone) == 0
    assert sorted(letter.key for letter in await sharded.dead_letters()) == sorted(
        key for key in keys if key != gone
    )
    assert await sharded.purge_dead_letters() == len(keys) - 1
    assert await sharded.dead_letters() == []


async def test_strikes_hold_and_restore_work_on_every_shard(sharded: Docket) -> None:
    ran: list[str] = []

    async def report(key: str) -> None:
        ran.append(key)

    keys = keys_on_every_shard(1)
    for key in keys:
        await sharded.add(report, when=soon(30), key=key)(key)
    await sharded.strike(report)
    async with Worker(sharded).running():
        await wait_until(
            lambda: _held(sharded, len(keys)), what="every shard's task held by the strike"
        )
        assert ran == []
        assert await sharded.restore(report) == len(keys)
        await wait_until(lambda: len(ran) == len(keys), what="every restored task to run")

    assert sorted(ran) == sorted(keys)


async def _held(docket: Docket, count: int) -> bool:
    return (await docket.snapshot()).held_count == count


async def test_an_atomic_batch_across_shards_is_refused_and_nothing_is_added(
    sharded: Docket,
) -> None:
    async def noop() -> None: ...

    keys = keys_on_every_shard(1)
    with pytest.raises(InvalidScheduleError, match="one shard"):
        await sharded.add_many([sharded.call(noop, key=k)() for k in keys], atomic=True)
    assert (await sharded.snapshot()).total_tasks == 0

    same_shard = [k for k in keys_on_every_shard(3) if shard_of(k, SHARDS) == 1]
    added = await sharded.add_many([sharded.call(noop, key=k)() for k in same_shard], atomic=True)
    assert all(e.scheduled for e in added)


async def test_opening_with_another_number_of_shards_is_refused_while_work_is_left(
    sharded: Docket, docket_url: str, name: str
) -> None:
    async def noop() -> None: ...

    await sharded.add(noop, when=tomorrow(), key="pending")()
    for shards in (1, 2):
        with pytest.raises(ShardCountError, match=f"laid out in {SHARDS} shard"):
            async with Docket(name=name, url=docket_url, shards=shards):
                pass

    # The documented migration: drain the docket, then open it with the new number.
    assert await sharded.cancel("pending")
    async with Docket(name=name, url=docket_url, shards=2) as resharded:
        await resharded.add(noop, when=tomorrow(), key="pending")()
        assert (await resharded.snapshot()).scheduled_count == 1
        await resharded.clear()


async def test_a_concurrency_limit_holds_across_the_shards(sharded: Docket) -> None:
    running, most, done = 0, 0, []

    async def limited(
        n: int, concurrency: ConcurrencyLimit = ConcurrencyLimit(max_concurrent=2)
    ) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        running -= 1
        done.append(n)

    keys = keys_on_every_shard(4)
    for n, key in enumerate(keys):
        await sharded.add(limited, key=key)(n)
    a, b = Worker(sharded, name="a", concurrency=10), Worker(sharded, name="b", concurrency=10)
    async with a.running(), b.running():
        await wait_until(lambda: len(done) == len(keys), what="every limited run")
    assert sorted(done) == list(range(len(keys)))
    assert most == 2
    limits = sharded.keys.limit("concurrency", "limited")
    assert limits.startswith("{" + sharded.name + "}:")  # one slot for the limit, many for tasks


async def test_a_waiter_whose_wake_was_lost_comes_back_by_itself(sharded: Docket) -> None:
    release, ran = asyncio.Event(), []

    async def exclusive(
        n: int, limit: ConcurrencyLimit = ConcurrencyLimit(max_concurrent=1)
    ) -> None:
        ran.append(n)
        if n == 0:
            await release.wait()

    first, second = keys_on_every_shard(1)[:2]  # on two shards
    await sharded.add(exclusive, key=first)(0)
    worker = Worker(sharded, concurrency=4, redelivery_timeout=timedelta(seconds=1))
    async with worker.running():
        await wait_until(lambda: ran == [0], what="the first run to hold the slot")
        await sharded.add(exclusive, key=second)(1)
        waiters = sharded.keys.limit("concurrency", "exclusive") + ":waiting"
        transport = sharded.backend.transport

        async def waiting() -> bool:
            return int(await transport.execute("ZCARD", waiters)) == 1

        await wait_until(waiting, what="the second run to wait for the slot")
        # A worker that died between taking the waiter and making it due loses its wake.
        await transport.execute("DEL", waiters)
        release.set()
        await wait_until(lambda: ran == [0, 1], within=10, what="the waiter to come back")


async def test_one_shard_keeps_todays_layout(docket_url: str, name: str) -> None:
    async with Docket(name=name, url=docket_url) as docket:
        assert docket.shards == 1
        assert docket._views == []
        assert docket.keys.stream == "{" + name + "}:stream"


@pytest.mark.parametrize("shards", [0, -1, 1025, 1.5, True])
def test_an_unusable_number_of_shards_is_refused(shards: object) -> None:
    with pytest.raises(ValueError, match="shards"):
        Docket(name="orders", url="memory://x", shards=shards)  # type: ignore[arg-type]


async def test_an_automatic_perpetual_runs_one_chain_on_a_sharded_docket(
    sharded: Docket,
) -> None:
    runs: list[str] = []

    async def beat(perpetual: Perpetual = Perpetual(every=timedelta(0), automatic=True)) -> None:
        runs.append("beat")

    sharded.register(beat)
    async with Worker(sharded) as worker:
        await worker.run_at_most({"beat": 5})

    assert len(runs) == 5
    home = sharded._views[shard_of("beat", SHARDS)]
    assert await home.backend.client.exists(home.keys.task("beat"))  # the chain's record
    assert (await sharded.snapshot()).total_tasks == 0
