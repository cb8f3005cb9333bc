"""Shared fixtures: a private Redis server per session, a fresh docket per test, both backends."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from docket import Docket, Worker

from .helpers import assert_consistent
from .redis_cluster import RedisCluster
from .redis_sentinel import RedisSentinel
from .redis_server import RedisServer, redis_server_binary

__all__ = ["RedisServer", "redis_server_binary"]


def pytest_report_header() -> str:
    """Say which kernels this run uses, and why (docket._speedups)."""
    from docket import _speedups

    return f"docket kernels: {_speedups.IMPLEMENTATION} ({_speedups.REASON})"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """URL of the suite's Redis: DOCKET_TEST_REDIS_URL, or a private server on a free port."""
    existing = os.environ.get("DOCKET_TEST_REDIS_URL")
    if existing:
        yield existing
        return
    server = RedisServer()
    server.start()
    try:
        yield server.url
    finally:
        server.cleanup()


KEPT_ENVIRONMENT = ("DOCKET_NO_EXTENSIONS", "DOCKET_TEST_REDIS_URL")


@pytest.fixture(autouse=True)
def clean_docket_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see DOCKET_* settings of the shell that started them."""
    for name in list(os.environ):
        if name.startswith("DOCKET_") and name not in KEPT_ENVIRONMENT:
            monkeypatch.delenv(name)


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """The shared behaviour suite (every test on `docket_url`) runs on asyncio's own loop and
    on uvloop (the loop of uvicorn[standard]); other tests on asyncio's."""
    factories: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
        "asyncio": asyncio.new_event_loop
    }
    if "docket_url" in getattr(item, "fixturenames", ()):
        import uvloop

        factories["uvloop"] = uvloop.new_event_loop
    return factories


@pytest.fixture(scope="session")
def cluster_url() -> Iterator[str]:
    """URL of a private local Redis Cluster (three masters, three replicas), started once."""
    cluster = RedisCluster()
    cluster.start()
    try:
        yield cluster.url
    finally:
        cluster.cleanup()


@pytest.fixture(scope="session")
def sentinel_url() -> Iterator[str]:
    """URL of a private Sentinel set-up (a master, a replica, three sentinels), started once."""
    sentinel = RedisSentinel()
    sentinel.start()
    try:
        yield sentinel.url
    finally:
        sentinel.cleanup()


@pytest.fixture(
    params=[
        "redis",
        "memory",
        pytest.param("cluster", marks=pytest.mark.cluster),
        pytest.param("sentinel", marks=pytest.mark.sentinel),
    ]
)
def docket_url(request: pytest.FixtureRequest, redis_url: str) -> str:
    """Each shared behaviour test runs on a real Redis server, on memory://, on a local Redis
    Cluster and on a local Sentinel set-up (`-m "not cluster and not sentinel"` skips those)."""
    if request.param == "memory":
        return f"memory://{uuid.uuid4().hex}"
    if request.param in ("cluster", "sentinel"):
        url: str = request.getfixturevalue(f"{request.param}_url")
        return url
    return redis_url


@pytest.fixture
async def docket(docket_url: str) -> AsyncIterator[Docket]:
    """An open docket with a name of its own, so tests never share keys."""
    async with Docket(name=f"test-{uuid.uuid4().hex}", url=docket_url) as opened:
        yield opened
        await assert_consistent(opened)


WorkerFactory = Callable[..., Awaitable[Worker]]


@pytest.fixture
async def make_worker(docket: Docket) -> AsyncIterator[WorkerFactory]:
    """Build workers on the test's docket; each is closed at teardown."""
    opened: list[Worker] = []

    async def create(**options: Any) -> Worker:
        options.setdefault("redelivery_timeout", timedelta(seconds=5))
        worker = Worker(options.pop("docket", docket), **options)
        await worker.__aenter__()
        opened.append(worker)
        return worker

    yield create
    for worker in reversed(opened):
        await worker.__aexit__(None, None, None)


@pytest.fixture
async def worker(make_worker: WorkerFactory) -> Worker:
    return await make_worker()
