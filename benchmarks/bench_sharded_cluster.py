"""One docket over several cluster masters: Redis time per master with shards=1 and shards=3.

On the local 3-master cluster the suite starts, each case adds TASKS no-op tasks and drains
them with WORKERS `docket worker --until-finished` processes, between a `CONFIG RESETSTAT` of
every master and a read of each one's `INFO commandstats` and `INFO cpu`. With shards=1 the
docket sits on one master's slot; with shards=3 (a docket name whose three shard tags fall on
the three masters) its work splits over all of them. Reported: each master's share of the
docket's Redis time, the Redis µs per task summed over masters, and the aggregate drain rate
(bounded here by this machine's two cores, not by Redis).

Run: uv run pytest benchmarks/bench_sharded_cluster.py --benchmark-only -s
"""

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from docket import Docket
from docket._keys import DocketKeys

from tests.redis_cluster import RedisCluster

from ._server_cost import _counted, _cpu
from ._support import Benchmark, report

TASKS = 20_000
WORKERS = 3
CONCURRENCY = 100
TASKS_MODULE = "async def noop() -> None:\n    pass\n\ntasks = [noop]\n"


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisCluster]:
    started = RedisCluster()
    started.start()
    try:
        yield started
    finally:
        started.cleanup()


def spread_name(cluster: RedisCluster, shards: int) -> str:
    """A docket name whose shard tags fall on as many masters as there are shards (up to
    the number of masters)."""
    masters = len(cluster.masters_ports())
    while True:
        name = f"bench-{uuid.uuid4().hex[:8]}"
        keys = DocketKeys.for_docket(name)
        tags = [keys.stream] if shards == 1 else [keys.shard(i).stream for i in range(shards)]
        if len({cluster.master_of(tag) for tag in tags}) == min(shards, masters):
            return name


async def add_tasks(url: str, name: str, shards: int) -> None:
    async with Docket(name=name, url=url, shards=shards) as docket:
        calls = [docket.call("noop")() for _ in range(TASKS)]
        await docket.add_many(calls)


def drain(url: str, name: str, shards: int, folder: Path) -> float:
    """Seconds WORKERS worker processes take to run every task and exit."""
    command = [
        str(Path(sys.executable).parent / "docket"), "worker",
        "--tasks", "bench_tasks:tasks", "--url", url, "--docket", name,
        "--shards", str(shards), "--concurrency", str(CONCURRENCY),
        "--until-finished", "--logging-level", "WARNING",
    ]  # fmt: skip
    env = os.environ | {"PYTHONPATH": str(folder)}
    started = time.perf_counter()
    processes = [subprocess.Popen(command, env=env) for _ in range(WORKERS)]
    for process in processes:
        assert process.wait(timeout=300) == 0
    return time.perf_counter() - started


def per_master(ports: list[int], before: dict[int, float]) -> dict[int, tuple[float, float]]:
    """Each master's (commandstats µs, CPU µs) since `before` (its CPU seconds then)."""
    found = {}
    for port in ports:
        client = redis.Redis(port=port)
        try:
            stats = client.info("commandstats")
            scripted = any("evalsha" in line for line in stats)
            counted = _counted(stats, scripted=scripted)
            usec = sum(u for _, u in counted.values())
            ranked = sorted(counted.items(), key=lambda item: -item[1][1])[:5]
            print(
                f"\n  master :{port}: "
                + ", ".join(
                    f"{name} {calls} calls {u / TASKS:.1f} µs/task" for name, (calls, u) in ranked
                )
            )
            cpu = (_cpu(client.info("cpu")) - before[port]) * 1_000_000
        finally:
            client.close()
        found[port] = (float(usec), cpu)
    return found


def reset(ports: list[int]) -> dict[int, float]:
    cpu = {}
    for port in ports:
        client = redis.Redis(port=port)
        try:
            client.config_resetstat()
            cpu[port] = _cpu(client.info("cpu"))
        finally:
            client.close()
    return cpu


@pytest.mark.parametrize("shards", [1, 3])
def test_redis_time_per_master(benchmark: Benchmark, cluster: RedisCluster, shards: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="docket-bench-shards-"))
    (folder / "bench_tasks.py").write_text(TASKS_MODULE)
    name = spread_name(cluster, shards)
    ports = cluster.masters_ports()

    def run() -> tuple[dict[int, tuple[float, float]], float]:
        before = reset(ports)
        asyncio.run(add_tasks(cluster.url, name, shards))
        seconds = drain(cluster.url, name, shards, folder)
        return per_master(ports, before), seconds

    masters, seconds = benchmark.pedantic(run, rounds=1)
    total = sum(usec for usec, _ in masters.values())
    for index, port in enumerate(ports):
        usec, cpu = masters[port]
        report(benchmark, f"master {index + 1}: share of Redis time", 100 * usec / total, "%")
        report(benchmark, f"master {index + 1}: Redis µs per task", usec / TASKS, "µs")
        report(benchmark, f"master {index + 1}: CPU µs per task", cpu / TASKS, "µs")
    report(benchmark, "Redis µs per task, all masters", total / TASKS, "µs")
    busiest = max(usec for usec, _ in masters.values()) / TASKS
    report(benchmark, "ceiling, busiest master on its own core", 1_000_000 / busiest, "tasks/s")
    report(benchmark, f"drain with {WORKERS} worker processes", TASKS / seconds, "tasks/s")
