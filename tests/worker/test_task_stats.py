"""The run statistics workers keep for the dashboard: per task and minute, sent with heartbeats."""

import asyncio
import random
import uuid
from datetime import timedelta
from typing import Any

import pytest
from docket import Docket, Retry, Worker
from docket._keys import DocketKeys
from docket._task_stats import (
    KEEP_MS,
    MINUTE_MS,
    bucket,
    bucket_middle,
    per_minute,
    per_task,
    read_minutes,
)
from docket._time import now_ms
from docket_worker._task_stats import RunCounts, count_commands

from ..helpers import wait_until


async def _last_minutes(docket: Docket) -> dict[int, dict[str, int]]:
    current = now_ms() // MINUTE_MS
    return await read_minutes(docket, range(current - 2, current + 1))


async def test_each_task_is_counted_with_its_failures_and_durations(docket: Docket) -> None:
    async def steady(n: int) -> None:
        await asyncio.sleep(0.02)

    async def flaky(n: int, retry: Retry = Retry(attempts=2)) -> None:
        if retry.attempt == 1:
            raise ValueError(n)

    async def broken() -> None:
        raise RuntimeError("never works")

    for n in range(5):
        await docket.add(steady)(n)
        await docket.add(flaky)(n)
    await docket.add(broken)()
    async with Worker(docket, concurrency=4) as worker:
        await worker.run_until_finished()  # its last heartbeat sends the counts left

    stats = {task.name: task for task in per_task((await _last_minutes(docket)).values())}
    assert sorted(stats) == ["broken", "flaky", "steady"]
    assert (stats["steady"].runs, stats["steady"].failures) == (5, 0)
    assert (stats["flaky"].succeeded, stats["flaky"].retried, stats["flaky"].failures) == (5, 5, 5)
    assert (stats["broken"].runs, stats["broken"].failed) == (1, 1)
    p50 = stats["steady"].duration(50)
    assert p50 is not None
    assert p50 >= timedelta(milliseconds=20) * 0.875
    assert stats["steady"].punctuality(99) is not None
    totals = per_minute(await _last_minutes(docket))
    assert sum(m.runs for m in totals) == 16
    assert sum(m.failures for m in totals) == 6


async def test_a_running_worker_sends_its_counts_with_its_heartbeats(docket_url: str) -> None:
    async with Docket(
        name=f"stats-{uuid.uuid4().hex}", url=docket_url, heartbeat_interval=timedelta(seconds=0.2)
    ) as docket:

        async def tick() -> None: ...

        docket.register(tick)
        async with Worker(docket) as worker, worker.running():
            for _ in range(3):
                await docket.add(tick)()

            async def counted() -> bool:
                runs = [t.runs for t in per_task((await _last_minutes(docket)).values())]
                return runs == [3]

            await wait_until(counted, what="the next heartbeats to carry the 3 runs")
            minutes = per_minute(await _last_minutes(docket))
            assert any(m.queued is not None for m in minutes)  # a depth sample, once a minute


async def test_every_minute_hash_expires(docket: Docket, worker: Worker) -> None:
    async def job() -> None: ...

    await docket.add(job)()
    await worker.run_until_finished()
    await worker.heartbeat.beat()
    client: Any = docket.backend.client
    key = docket.keys.stats(now_ms() // MINUTE_MS)
    ttl = await client.pttl(key)
    if ttl == -2:  # the minute turned between the run and the read
        key = docket.keys.stats(now_ms() // MINUTE_MS - 1)
        ttl = await client.pttl(key)
    assert 0 < ttl <= KEEP_MS + MINUTE_MS


async def test_a_sharded_workers_counts_land_under_the_dockets_own_tag(docket_url: str) -> None:
    async with Docket(name=f"stats-{uuid.uuid4().hex}", url=docket_url, shards=3) as docket:

        async def spread(n: int) -> None: ...

        docket.register(spread)
        for n in range(12):
            await docket.add(spread, key=f"k{n}")(n)
        async with Worker(docket) as worker:
            await worker.run_until_finished()
        assert docket.keys.stats(0).startswith("{" + docket.name + "}:")
        assert [t.runs for t in per_task((await _last_minutes(docket)).values())] == [12]


def test_buckets_keep_values_within_an_eighth() -> None:
    rng = random.Random(7)
    values = list(range(0, 4096)) + [rng.randrange(1, 2**39) for _ in range(5000)]
    for value in values:
        middle = bucket_middle(bucket(value))
        assert abs(middle - value) <= max(0.5, value / 8), value
    indexes = [bucket(v) for v in sorted(values)]
    assert indexes == sorted(indexes)


def test_a_workers_counts_fall_in_the_buckets_readers_expect() -> None:
    rng = random.Random(11)
    counts = RunCounts()
    runs = [
        (rng.random() * rng.choice([1e-5, 1e-3, 1.0, 1e3, 1e7]), rng.randrange(-5, 10**9))
        for _ in range(2000)
    ]
    at = now_ms()
    for seconds, late_ms in runs:
        counts.record("job", "succeeded", seconds, late_ms, at)
    ((minute, tasks),) = counts.take().items()
    assert minute == at // MINUTE_MS
    (stats,) = per_task([_decoded(count_commands(DocketKeys.for_docket("d"), {minute: tasks}))])
    expected_durations: dict[int, int] = {}
    expected_lateness: dict[int, int] = {}
    for seconds, late_ms in runs:
        index = bucket(int(seconds * 1_000_000))
        expected_durations[index] = expected_durations.get(index, 0) + 1
        index = bucket(max(late_ms, 0))
        expected_lateness[index] = expected_lateness.get(index, 0) + 1
    assert stats.durations == expected_durations
    assert stats.lateness == expected_lateness
    assert stats.succeeded == 2000


def _decoded(commands: list[tuple[Any, ...]]) -> dict[str, int]:
    """What the HINCRBY commands would leave in a fresh hash."""
    fields: dict[str, int] = {}
    for command in commands:
        if command[0] == "HINCRBY":
            fields[command[2]] = fields.get(command[2], 0) + command[3]
    return fields


@pytest.mark.parametrize(
    ("percentile", "expected_ms"), [(50, 10.0), (99, 1000.0), (100, 1000.0), (1, 10.0)]
)
def test_percentiles_are_read_from_the_buckets(percentile: float, expected_ms: float) -> None:
    from docket._task_stats import TaskStats

    stats = TaskStats("t", succeeded=100)
    stats.durations = {bucket(10_000): 98, bucket(1_000_000): 2}
    found = stats.duration(percentile)
    assert found is not None
    assert abs(found.total_seconds() * 1000 - expected_ms) <= expected_ms / 8
    assert TaskStats("empty").duration(50) is None
