"""Awaited `docket.add`, one call at a time, against plain redis-py XADD on the same server."""

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import cloudpickle
from docket import Docket
from redis.asyncio import Redis

from tests.speedups.kernel_api import PURE

from ._support import Benchmark, report, run_rounds

ADDS = 2000
ROUNDS = 5


async def noop(customer_id: int, name: str) -> None:
    """A task that does nothing; the benchmarks only schedule it."""


@dataclass
class Opened:
    docket: Docket


async def open_docket(redis_url: str) -> Opened:
    docket = Docket(name=f"bench-{uuid.uuid4().hex}", url=redis_url)
    await docket.__aenter__()
    await docket.add(noop)(0, "warm up")  # loads the script, fills the connection pool
    return Opened(docket)


async def close_docket(opened: Opened) -> None:
    await opened.docket.__aexit__(None, None, None)


def tasks_per_second(seconds: list[float]) -> float:
    return ADDS / sorted(seconds)[len(seconds) // 2]


def test_add_immediate_one_at_a_time(benchmark: Benchmark, redis_url: str) -> None:
    async def add_all(opened: Opened) -> float:
        started = time.perf_counter()
        for n in range(ADDS):
            await opened.docket.add(noop)(n, "Jane Smith")
        return time.perf_counter() - started

    seconds = run_rounds(
        benchmark,
        prepare=lambda: open_docket(redis_url),
        measure=add_all,
        cleanup=close_docket,
        rounds=ROUNDS,
    )

    report(benchmark, "add (immediate), awaited", tasks_per_second(seconds), "tasks/s")


def test_add_scheduled_one_at_a_time(benchmark: Benchmark, redis_url: str) -> None:
    async def add_all(opened: Opened) -> float:
        when = datetime.now(UTC) + timedelta(hours=1)
        started = time.perf_counter()
        for n in range(ADDS):
            await opened.docket.add(noop, when=when + timedelta(milliseconds=n))(n, "Jane Smith")
        return time.perf_counter() - started

    seconds = run_rounds(
        benchmark,
        prepare=lambda: open_docket(redis_url),
        measure=add_all,
        cleanup=close_docket,
        rounds=ROUNDS,
    )

    report(benchmark, "add (in an hour), awaited", tasks_per_second(seconds), "tasks/s")


def test_plain_xadd_one_at_a_time(benchmark: Benchmark, redis_url: str) -> None:
    """The floor: one XADD of an envelope of the same size per call, no script, no task hash."""
    arguments = bytes(cloudpickle.dumps(((1234, "Jane Smith"), {})))
    payload = PURE.encode_envelope(uuid.uuid4().hex, "noop", 0, 1, "0123456789abcdef", arguments)

    async def connect() -> Redis:
        client = Redis.from_url(redis_url)
        await client.ping()
        return client

    async def add_all(client: Redis) -> float:
        stream = f"bench-xadd-{uuid.uuid4().hex}"
        started = time.perf_counter()
        for _ in range(ADDS):
            await client.xadd(stream, {"d": payload})
        elapsed = time.perf_counter() - started
        await client.delete(stream)
        return elapsed

    async def close(client: Redis) -> None:
        await client.aclose()

    seconds = run_rounds(benchmark, prepare=connect, measure=add_all, cleanup=close, rounds=ROUNDS)

    report(benchmark, "plain redis-py XADD, awaited", tasks_per_second(seconds), "tasks/s")


BULK = 20_000


def test_add_many_in_chunks_of_a_thousand(benchmark: Benchmark, redis_url: str) -> None:
    """Bulk enqueue: build the calls and add them, 1,000 per round trip."""

    async def add_all(opened: Opened) -> float:
        docket = opened.docket
        started = time.perf_counter()
        await docket.add_many([docket.call(noop)(n, "Jane Smith") for n in range(BULK)])
        return time.perf_counter() - started

    seconds = run_rounds(
        benchmark,
        prepare=lambda: open_docket(redis_url),
        measure=add_all,
        cleanup=close_docket,
        rounds=3,
    )

    report(benchmark, "add_many, chunks of 1,000", BULK / sorted(seconds)[1], "tasks/s")
