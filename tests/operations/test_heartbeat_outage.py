"""A worker's heartbeat goes on through a Redis outage: once Redis is back, the worker is
listed again though its heartbeat expired meanwhile."""

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from docket import Docket, Worker

from ..helpers import wait_until
from ..redis_server import RedisServer, running_redis
from .conftest import HEARTBEAT, MISSED, TTL


@pytest.fixture
def server() -> Iterator[RedisServer]:
    """A private, persistent Redis that the test crashes and restarts."""
    with running_redis(persistent=True) as server:
        yield server


async def test_the_heartbeat_resumes_after_redis_comes_back(server: RedisServer) -> None:
    name = f"outage-{uuid.uuid4().hex}"
    docket = Docket(name, server.url, heartbeat_interval=HEARTBEAT, missed_heartbeats=MISSED)
    async with docket, Worker(docket, name="survivor") as worker, worker.running():
        assert [info.name for info in await docket.workers()] == ["survivor"]

        server.stop(kill=True)
        down = time.monotonic()
        # Down for longer than a heartbeat lasts, so the restarted server drops it.
        await wait_until(lambda: time.monotonic() - down > 2 * TTL.total_seconds(), what="the TTL")
        server.start()
        back = datetime.now(UTC)

        async def listed_again() -> bool:
            return any(
                info.name == "survivor" and info.last_seen >= back
                for info in await docket.workers()
            )

        await wait_until(listed_again, within=15, what="the worker's next beat")
