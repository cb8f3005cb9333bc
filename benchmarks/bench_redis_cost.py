"""The Redis server time each task costs: the ceiling of a whole fleet on one Redis core.

On a private server, each case adds TASKS tasks (64 in flight) and drains them with one Worker
at concurrency 100, between a `CONFIG RESETSTAT` and a read of `INFO commandstats` (see
_server_cost for how script time is counted once). The floor is the same work done with
plain commands and no task logic: XADD, then XREADGROUP COUNT 100 with XACK + XDEL per batch.
Each case is reported as µs per task, commands per task, server CPU µs per task, the implied
tasks/s per Redis core, and its ratio to the floor measured in the same run (absolute µs grow
when the machine is busy; the ratio does not).

Run: uv run pytest benchmarks/bench_redis_cost.py --benchmark-only -s
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from typing import Annotated, Any

import pytest
import redis.asyncio
from docket import ConcurrencyLimit, Docket, Retry, Worker

from ._server_cost import ServerCost, measure, plain_drain, private_server
from ._support import Benchmark, report

TASKS = 20_000
IN_FLIGHT = 64
CONCURRENCY = 100
STREAM_BATCH = 100

Case = Callable[[Docket, list[int]], Callable[[], Awaitable[Any]]]
"""Given a docket and a run counter, the call that adds one task (the i-th is its count)."""


def _noop_case(docket: Docket, ran: list[int]) -> Callable[[], Awaitable[Any]]:
    async def noop() -> None:
        ran[0] += 1

    return docket.add(noop)


def _keyed_case(docket: Docket, ran: list[int]) -> Callable[[], Awaitable[Any]]:
    async def noop() -> None:
        ran[0] += 1

    counter = iter(range(10**9))
    return lambda: docket.add(noop, key=f"key-{next(counter)}")()


def _future_case(docket: Docket, ran: list[int]) -> Callable[[], Awaitable[Any]]:
    async def noop() -> None:
        ran[0] += 1

    # Each one due 300 ms after its add: parked, then moved by the scheduler.
    return lambda: docket.add(
        noop, when=datetime.now().astimezone() + timedelta(milliseconds=300)
    )()


def _retry_case(docket: Docket, ran: list[int]) -> Callable[[], Awaitable[Any]]:
    async def flaky(retry: Retry = Retry(attempts=2)) -> None:
        if retry.attempt == 1:
            raise RuntimeError("first attempt fails")
        ran[0] += 1

    return docket.add(flaky)


def _result_case(docket: Docket, ran: list[int]) -> Callable[[], Awaitable[Any]]:
    async def answer() -> int:
        ran[0] += 1
        return 42

    return docket.add(answer)


def _limited_case(docket: Docket, ran: list[int]) -> Callable[[], Awaitable[Any]]:
    async def limited(customer: Annotated[int, ConcurrencyLimit(1)]) -> None:
        ran[0] += 1

    counter = iter(range(10**9))
    return lambda: docket.add(limited)(next(counter))


CASES: dict[str, tuple[Case, timedelta, int]] = {
    "no-op": (_noop_case, timedelta(0), 1),
    "keyed add": (_keyed_case, timedelta(0), 1),
    "future task": (_future_case, timedelta(0), 1),
    "retry": (_retry_case, timedelta(0), 1),
    "state tracking (records)": (_noop_case, timedelta(minutes=15), 1),
    "result kept": (_result_case, timedelta(minutes=15), 1),
    "ConcurrencyLimit": (_limited_case, timedelta(0), 1),
    "no-op, shards=3": (_noop_case, timedelta(0), 3),
    "ConcurrencyLimit, shards=3": (_limited_case, timedelta(0), 3),
}
"""Each case: how its tasks are added, the docket's execution_ttl, and its shards."""


async def _add_all(add: Callable[[], Awaitable[Any]], tasks: int) -> None:
    for start in range(0, tasks, IN_FLIGHT):
        await asyncio.gather(*(add() for _ in range(start, min(start + IN_FLIGHT, tasks))))


async def plain_floor(client: "redis.asyncio.Redis", tasks: int) -> None:
    """XADD each task, then read and settle them as a worker with no task logic would."""
    stream, group = f"floor-{uuid.uuid4().hex}", "workers"
    await client.xgroup_create(stream, group, id="0", mkstream=True)
    await _add_all(lambda: client.xadd(stream, {"d": b"x" * 60}), tasks)
    await plain_drain(client, stream, group, tasks, STREAM_BATCH)
    await client.delete(stream)


async def docket_case(
    url: str, case: Case, records: timedelta, tasks: int, shards: int = 1
) -> ServerCost:
    name = f"cost-{uuid.uuid4().hex}"
    async with Docket(name=name, url=url, execution_ttl=records, shards=shards) as docket:
        ran = [0]
        add = case(docket, ran)

        async def workload() -> None:
            await _add_all(add, tasks)
            async with Worker(docket, concurrency=CONCURRENCY) as worker:
                await worker.run_until_finished()

        client = redis.asyncio.Redis.from_url(url)
        try:
            cost = await measure(client, tasks, workload)
        finally:
            await client.aclose()
        assert ran[0] == tasks, f"{ran[0]} of {tasks} ran"
        return cost


async def floor_cost(url: str, tasks: int) -> ServerCost:
    client = redis.asyncio.Redis.from_url(url)
    try:
        return await measure(client, tasks, lambda: plain_floor(client, tasks))
    finally:
        await client.aclose()


@pytest.fixture(scope="module")
def cost_server_url() -> Iterator[str]:
    with private_server() as server:
        yield server.url


def _report(benchmark: Benchmark, label: str, cost: ServerCost, floor: ServerCost) -> None:
    report(benchmark, f"{label}: µs per task", cost.usec, "µs")
    report(benchmark, f"{label}: times the floor", cost.usec / floor.usec, "x")
    report(benchmark, f"{label}: commands per task", cost.calls, "commands")
    report(benchmark, f"{label}: server CPU per task", cost.cpu_usec, "µs")
    report(benchmark, f"{label}: tasks/s per Redis core", cost.ceiling, "tasks/s")
    print(f"  {label}: {cost.share()}")


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", list(CASES))
def test_redis_cost_per_task(benchmark: Benchmark, cost_server_url: str, name: str) -> None:
    case, records, shards = CASES[name]

    async def both() -> tuple[ServerCost, ServerCost]:
        floor = await floor_cost(cost_server_url, TASKS)
        return floor, await docket_case(cost_server_url, case, records, TASKS, shards)

    floor, cost = benchmark.pedantic(lambda: asyncio.run(both()), rounds=1)
    _report(benchmark, "plain floor", floor, floor)
    _report(benchmark, name, cost, floor)
