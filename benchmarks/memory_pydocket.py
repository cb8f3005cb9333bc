"""Redis memory per future task of the original `pydocket`, for comparison with docket's.

    PYDOCKET_PYTHON=/tmp/pydocket-venv/bin/python \\
        uv run pytest benchmarks/bench_memory.py --benchmark-only

runs it for you; by hand, against a fresh redis-server that nothing else uses:

    python3 -m uv venv /tmp/pydocket-venv
    python3 -m uv pip install -p /tmp/pydocket-venv pydocket
    /tmp/pydocket-venv/bin/python -I benchmarks/memory_pydocket.py --url redis://127.0.0.1:PORT/0

pydocket is not a dependency of this workspace and imports as `docket` too, so this script
runs under that other interpreter and imports only the standard library, pydocket and the
redis-py that pydocket depends on. It parks `--tasks` future tasks (due in a day, with the
arguments `(12345, "Jane Smith")`) with `Docket.add(fn, when=...)`, and prints one line,
`RESULT {json}`: INFO memory's used_memory before and after (with no docket connected either
time, so client buffers do not count), bytes per task, and MEMORY USAGE of one task's keys.

bench_memory.py measures docket with the same `footprint` function.
"""

import argparse
import asyncio
import importlib.metadata
import json
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import redis

TASKS = 100_000
CONCURRENT_ADDS = 50
NAME = "memory"


async def send_followup_email(customer_id: int, name: str) -> None:
    """The parked task; it never runs."""


@dataclass
class Footprint:
    """What parking `tasks` future tasks cost a Redis server."""

    server: str
    tasks: int
    used_memory_before: int
    used_memory_after: int
    seconds_to_park: float
    sample_key: str
    task_keys: dict[str, int] = field(default_factory=dict)
    """MEMORY USAGE (SAMPLES 0) of each Redis key whose name holds the sample task's key."""
    queue_key: str = ""
    queue_bytes_per_member: float = 0.0

    @property
    def bytes_per_task(self) -> float:
        return (self.used_memory_after - self.used_memory_before) / self.tasks

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "bytes_per_task": self.bytes_per_task}


def used_memory(client: redis.Redis) -> int:
    """INFO memory's used_memory, once this client is the only one connected."""
    deadline = time.monotonic() + 10
    while int(client.info("clients")["connected_clients"]) > 1 and time.monotonic() < deadline:
        time.sleep(0.05)  # a closing docket's connections are freed a moment later
    return int(client.info("memory")["used_memory"])


def server_description(client: redis.Redis) -> str:
    version = client.info("server")["redis_version"]
    allocator = client.info("memory")["mem_allocator"]
    return f"redis {version}, {allocator}"


def footprint(url: str, tasks: int, park: Callable[[], Coroutine[Any, Any, str]]) -> Footprint:
    """Measure `park()`, which parks `tasks` future tasks on the server at `url` (with its
    own connections, closed when it returns) and returns the key of one of them."""
    client: redis.Redis = redis.Redis.from_url(url)
    try:
        if client.dbsize():
            raise RuntimeError(f"{url} is not empty: measure on a fresh, private redis-server.")
        before = used_memory(client)
        started = time.perf_counter()
        sample_key = asyncio.run(park())
        seconds = time.perf_counter() - started
        after = used_memory(client)
        server = server_description(client)
        measured = Footprint(server, tasks, before, after, seconds, sample_key)
        for name in client.scan_iter(match=f"*{sample_key}*", count=1000):
            usage = client.memory_usage(name, samples=0)
            measured.task_keys[name.decode()] = int(usage or 0)
        queues = [
            (int(client.zcard(name)), name) for name in client.scan_iter(count=1000, _type="zset")
        ]
        if queues:
            members, queue = max(queues)
            measured.queue_key = queue.decode()
            measured.queue_bytes_per_member = (
                int(client.memory_usage(queue, samples=0) or 0) / members
            )
        return measured
    finally:
        client.close()


async def park_with_pydocket(url: str, tasks: int) -> str:
    """Park `tasks` future tasks with pydocket's awaited `Docket.add(fn, when=...)`, a few
    dozen at a time (the size of its connection pool); return one task's key."""
    from docket import Docket

    when = datetime.now(UTC) + timedelta(days=1)
    keys: list[str] = []
    async with Docket(name=NAME, url=url) as docket:
        for start in range(0, tasks, CONCURRENT_ADDS):
            batch = range(start, min(start + CONCURRENT_ADDS, tasks))
            executions: list[Any] = await asyncio.gather(
                *(
                    docket.add(send_followup_email, when=when + timedelta(milliseconds=n))(
                        12345, "Jane Smith"
                    )
                    for n in batch
                )
            )
            keys.append(executions[-1].key)
    return keys[len(keys) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a fresh, private redis-server")
    parser.add_argument("--tasks", type=int, default=TASKS)
    options = parser.parse_args()
    try:
        version = importlib.metadata.version("pydocket")
    except importlib.metadata.PackageNotFoundError:
        sys.exit(f"{sys.executable} has no pydocket: run this with a venv that has it installed.")
    measured = footprint(
        options.url, options.tasks, lambda: park_with_pydocket(options.url, options.tasks)
    )
    print("RESULT " + json.dumps({"pydocket": version, **measured.as_dict()}))


if __name__ == "__main__":
    main()
