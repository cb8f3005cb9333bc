"""The dashboard's Redis cost per refresh, with 1,000,000 future tasks parked.

On a private server, PARKED tasks are scheduled an hour ahead (add_many in chunks); LIMITS
ConcurrencyLimit scopes get holders and waiters (keys written as docket-worker writes them) and
a worker's heartbeat lists them; and a full hour of run statistics is written for STATS_TASKS
tasks (with docket-worker's own encoder). Then, between a `CONFIG RESETSTAT` and a read of
`INFO commandstats`, each page is fetched once through the ASGI app (as a browser refresh would,
after a first load) and its commands and server µs are summed. The live feed of the running
page asks for the progress of PROGRESS_KEYS keys; /limits reads the limits the heartbeats list,
/limits?scan=1 scans the million keys for them (bounded: the page lists what it reached).
/future?q= searches by key or task: the next 2,000 parked executions of each shard, and the
exact key wherever it is due.

Run: uv run pytest benchmarks/bench_dashboard.py --benchmark-only -s
"""

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import redis.asyncio
from docket import Docket
from docket._task_stats import MINUTE_MS
from docket._time import ms_to_datetime, now_ms
from docket._workers import WorkerInfo, beat_commands
from docket_dashboard import DashboardSettings, create_app
from docket_worker._task_stats import RunCounts, count_commands

from ._server_cost import private_server
from ._support import Benchmark, report

PARKED = 1_000_000
CHUNK = 20_000
LIMITS = 100
HOLDERS = 3
WAITERS = 5
STATS_TASKS = 20
PROGRESS_KEYS = 100
PROGRESS = "/api/progress?" + "&".join(f"key=k{n}" for n in range(PROGRESS_KEYS))
PAGES = (
    "/",
    "/api/overview",
    "/tasks",
    "/running",
    PROGRESS,
    "/limits",
    "/limits?scan=1",
    "/future",
    "/future?q=k999999",
    "/future?q=absent",
    "/dead",
    "/execution?key=k1",
)


@pytest.fixture(scope="module")
def cost_server_url() -> Iterator[str]:
    with private_server() as server:
        yield server.url


async def _park(docket: Docket) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    for start in range(0, PARKED, CHUNK):
        await docket.add_many(
            docket.call("trace", when=later, key=f"k{n}")(n) for n in range(start, start + CHUNK)
        )


async def _hold_limits(docket: Docket) -> None:
    """LIMITS ConcurrencyLimit scopes, each with HOLDERS holders and WAITERS parked waiters."""
    client: Any = docket.backend.client
    until = int(time.time() * 1000) + 3_600_000
    held = []
    for scope in range(LIMITS):
        base = docket.keys.limit("concurrency", f"export:tenant={scope}")
        held.append(base + ":holders")
        await client.zadd(base + ":holders", {f"t{scope}-{h}": until for h in range(HOLDERS)})
        waiters = range(scope * WAITERS, (scope + 1) * WAITERS)
        await client.rpush(base + ":waiting", *[f"w{n}\x1fk{n}\x1f{2**52 + n}" for n in waiters])
    await _heartbeat_listing(docket, frozenset(held))


async def _heartbeat_listing(docket: Docket, limits: frozenset[str]) -> None:
    """A worker's heartbeat (as docket-worker beats) that lists the slots its runs hold."""
    info = WorkerInfo(
        name="bench-worker", last_seen=ms_to_datetime(0), tasks=frozenset(), limits=limits
    )
    await docket.backend.transport.execute_many(
        beat_commands(docket.keys, info, 3_600_000, now_ms())
    )


async def _an_hour_of_stats(docket: Docket) -> None:
    """60 minutes of counts for STATS_TASKS tasks, as workers would have sent them."""
    counts = RunCounts()
    for task in range(STATS_TASKS):
        for n in range(200):
            outcome = "succeeded" if n % 10 else "failed"
            counts.record(f"task_{task}", outcome, n / 1000, n % 50, now_ms())
    tallies = counts.take()
    ((_, tasks),) = tallies.items()
    minute = now_ms() // MINUTE_MS
    for back in range(60):
        commands = count_commands(docket.keys, {minute - back: tasks})
        await docket.backend.transport.execute_many(commands)


def _label(page: str) -> str:
    return f"/api/progress ({PROGRESS_KEYS} keys)" if page == PROGRESS else page


async def _commandstats(client: "redis.asyncio.Redis") -> tuple[int, int]:
    stats = await client.info("commandstats")
    calls = usec = 0
    for name, line in stats.items():
        if any(word in name for word in ("config", "info")):
            continue
        calls += int(line["calls"])
        usec += int(line["usec"])
    return calls, usec


async def _page_costs(url: str) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
    name = f"bench-{uuid.uuid4().hex}"
    async with Docket(name=name, url=url) as docket:
        await _park(docket)
        await _hold_limits(docket)
        await _an_hour_of_stats(docket)
        assert (await docket.snapshot(limit=1)).scheduled_count == PARKED
    app = create_app(DashboardSettings(docket=name, url=url))
    client = redis.asyncio.Redis.from_url(url)
    costs: dict[str, tuple[int, int]] = {}
    listed: dict[str, int] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as web:
            for page in PAGES:
                await web.get(page)  # warm: connections and scripts loaded
                await client.config_resetstat()
                response = await web.get(page)
                assert response.status_code == 200, page
                costs[_label(page)] = await _commandstats(client)
                if page.startswith("/limits"):
                    listed[page] = response.text.count('<tr class="limit"')
    await client.aclose()
    return costs, listed


@pytest.mark.timeout(300)
def test_dashboard_redis_cost_per_refresh(benchmark: Benchmark, cost_server_url: str) -> None:
    costs, listed = benchmark.pedantic(
        lambda: asyncio.run(_page_costs(cost_server_url)), rounds=1, iterations=1
    )
    for page, (calls, usec) in costs.items():
        report(benchmark, f"{page}: commands per refresh", calls, "commands")
        report(benchmark, f"{page}: server µs per refresh", usec, "µs")
    for page, count in listed.items():
        report(benchmark, f"{page}: limits listed (of {LIMITS})", count, "limits")
