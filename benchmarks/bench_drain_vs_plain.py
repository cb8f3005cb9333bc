"""The worker's own overhead: docket's drain of queued no-ops against a plain redis-py loop
doing only the Redis part (XREADGROUP COUNT 100, then XACK + XDEL per batch, no task logic),
side by side in one run, at concurrency 10 and 100.

Each round queues TASKS messages first (not timed): docket's through `docket.add` on a docket
that keeps no records, the plain loop's as XADDs of payloads of the same size. Rounds of the
two alternate, so both see the same machine; the ratio of the medians is reported.

Run: uv run pytest benchmarks/bench_drain_vs_plain.py --benchmark-only -s
"""

import asyncio
import time
import uuid
from datetime import timedelta

import pytest
import redis.asyncio
from docket import Docket, Worker

from ._server_cost import plain_drain
from ._support import Benchmark, median, report

TASKS = 10_000
ROUNDS = 5
IN_FLIGHT = 250
READ_COUNT = 100


async def docket_round(url: str, concurrency: int) -> float:
    async with Docket(name=f"plain-{uuid.uuid4().hex}", url=url, execution_ttl=timedelta(0)) as d:
        ran = [0]

        async def noop() -> None:
            ran[0] += 1

        add = d.add(noop)
        for start in range(0, TASKS, IN_FLIGHT):
            await asyncio.gather(*(add() for _ in range(start, min(start + IN_FLIGHT, TASKS))))
        started = time.perf_counter()
        async with Worker(d, concurrency=concurrency) as worker:
            await worker.run_until_finished()
            elapsed = time.perf_counter() - started
        assert ran[0] == TASKS
        return elapsed


async def plain_round(url: str) -> float:
    client = redis.asyncio.Redis.from_url(url)
    stream, group = f"plain-{uuid.uuid4().hex}", "workers"
    try:
        await client.xgroup_create(stream, group, id="0", mkstream=True)
        payload = b"x" * 60
        for start in range(0, TASKS, IN_FLIGHT):
            async with client.pipeline(transaction=False) as pipe:
                for _ in range(start, min(start + IN_FLIGHT, TASKS)):
                    pipe.xadd(stream, {"d": payload})
                await pipe.execute()
        started = time.perf_counter()
        await plain_drain(client, stream, group, TASKS, READ_COUNT)
        elapsed = time.perf_counter() - started
        await client.delete(stream)
        return elapsed
    finally:
        await client.aclose()


@pytest.mark.timeout(600)
@pytest.mark.parametrize("concurrency", [10, 100])
def test_drain_against_a_plain_loop(benchmark: Benchmark, redis_url: str, concurrency: int) -> None:
    docket_seconds: list[float] = []
    plain_seconds: list[float] = []

    def rounds() -> None:
        for _ in range(ROUNDS):
            plain_seconds.append(asyncio.run(plain_round(redis_url)))
            docket_seconds.append(asyncio.run(docket_round(redis_url, concurrency)))

    benchmark.pedantic(rounds, rounds=1)
    docket_rate, plain_rate = TASKS / median(docket_seconds), TASKS / median(plain_seconds)
    report(benchmark, f"plain loop, XREADGROUP COUNT {READ_COUNT}", plain_rate, "tasks/s")
    report(benchmark, f"docket drain, concurrency {concurrency}", docket_rate, "tasks/s")
    report(benchmark, f"docket / plain, concurrency {concurrency}", docket_rate / plain_rate, "x")
