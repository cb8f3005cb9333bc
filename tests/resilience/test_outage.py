"""Redis restarting under a worker and a producer: nothing is lost, the outage is logged once."""

import asyncio
import logging
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis.asyncio
from docket import Docket, DocketConnectionError, Worker

from ..helpers import wait_until
from ..redis_server import RedisServer, running_redis


@pytest.fixture
def server() -> Iterator[RedisServer]:
    """A private, persistent Redis that a test may crash and restart."""
    with running_redis(persistent=True) as server:
        yield server


async def test_worker_carries_on_after_redis_restarts_and_loses_nothing(
    server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    ran: set[int] = set()

    async def record(n: int) -> None:
        ran.add(n)

    async with Docket(name=f"outage-{uuid.uuid4().hex}", url=server.url) as docket:
        for n in range(50):
            await docket.add(record, key=f"task-{n}")(n)
        async with Worker(docket, redelivery_timeout=timedelta(seconds=1)) as worker:
            running = asyncio.create_task(worker.run_forever())
            await wait_until(lambda: len(ran) == 50, what="the first 50 tasks")

            with caplog.at_level(logging.WARNING, logger="docket.worker"):
                server.stop(kill=True)
                await wait_until(lambda: logged(caplog, "lost Redis") == 1, what="outage log")
                server.start()
                for n in range(50, 100):
                    await docket.add(record, key=f"task-{n}")(n)
                await wait_until(lambda: len(ran) == 100, what="the tasks added after restart")

            worker.stop()
            await running

    assert ran == set(range(100))
    assert logged(caplog, "lost Redis") == 1
    assert logged(caplog, "is back") == 1


def logged(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(text in record.getMessage() for record in caplog.records)


async def test_producer_gets_a_clear_error_while_redis_is_down_and_may_retry(
    server: RedisServer,
) -> None:
    async def record(n: int) -> None: ...

    name = f"outage-{uuid.uuid4().hex}"
    async with Docket(name, server.url, reconnect_timeout=timedelta(seconds=0.3)) as docket:
        server.stop(kill=True)
        with pytest.raises(DocketConnectionError, match=r"Retrying a keyed add") as raised:
            await docket.add(record, key="k")(1)
        assert "reconnect_timeout" in str(raised.value)
        server.start()

        await docket.add(record, key="k")(1)
        await docket.add(record, key="k")(1)

        assert await docket.backend.client.zcard(docket.keys.queue) == 0
        assert await docket.backend.client.xlen(docket.keys.stream) == 1


async def test_a_hung_server_fails_calls_after_the_socket_timeout_then_they_work_again(
    server: RedisServer,
) -> None:
    async def record(n: int) -> None: ...

    url = f"{server.url}?socket_timeout=0.5"
    name = f"outage-{uuid.uuid4().hex}"
    async with Docket(name, url, reconnect_timeout=timedelta(0)) as docket:
        await docket.add(record)(1)
        admin = redis.asyncio.Redis(port=server.port)
        await admin.client_pause(5000, all=True)
        await admin.aclose()

        started = time.monotonic()
        with pytest.raises(DocketConnectionError):
            await docket.add(record)(2)
        assert time.monotonic() - started < 4.5  # failed, instead of hanging with the server

        async def adds() -> bool:
            try:
                await docket.add(record)(3)
            except DocketConnectionError:
                return False
            return True

        await wait_until(adds, within=10, what="adds to work once the server answers again")
