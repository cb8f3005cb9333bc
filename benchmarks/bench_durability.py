"""What durability="replicated" costs: awaited adds on a master with one replica, each waiting
for the replica (WAIT 1, in the same round trip) or not."""

import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from docket import Docket

from tests.redis_server import RedisServer

from ._support import Benchmark, report, run_rounds
from .bench_add import ADDS, ROUNDS, Opened, close_docket, noop, tasks_per_second


@pytest.fixture(scope="module")
def replicated_url() -> Iterator[str]:
    """A private master with one replica, replication established."""
    master, replica = RedisServer(), RedisServer()
    master.start()
    replica.start()
    client = redis.Redis(port=replica.port)
    client.replicaof("127.0.0.1", master.port)
    deadline = time.monotonic() + 10
    while client.info("replication").get("master_link_status") != "up":
        if time.monotonic() > deadline:
            raise RuntimeError("the replica did not catch up with its master")
        time.sleep(0.02)
    client.close()
    try:
        yield master.url
    finally:
        replica.cleanup()
        master.cleanup()


@pytest.mark.parametrize("durability", ["local", "replicated"])
def test_add_with_durability(benchmark: Benchmark, replicated_url: str, durability: str) -> None:
    async def prepare() -> Opened:
        docket = Docket(f"bench-{uuid.uuid4().hex}", replicated_url, durability=durability)  # type: ignore[arg-type]
        await docket.__aenter__()
        await docket.add(noop)(0, "warm up")
        return Opened(docket)

    async def add_all(opened: Opened) -> float:
        started = time.perf_counter()
        for n in range(ADDS):
            await opened.docket.add(noop)(n, "Jane Smith")
        return time.perf_counter() - started

    seconds = run_rounds(
        benchmark, prepare=prepare, measure=add_all, cleanup=close_docket, rounds=ROUNDS
    )
    report(
        benchmark, f"add, awaited, durability={durability}", tasks_per_second(seconds), "tasks/s"
    )
