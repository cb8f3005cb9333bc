"""The health check tells a stuck worker from a healthy one: with its Redis frozen (SIGSTOP: the
connection stays open, no reply comes), the fetch loop's read never returns, and the health
says so with the reason; once Redis thaws, it is healthy again without a restart."""

import signal
import uuid
from collections.abc import Iterator

import pytest
from docket import Docket, Worker
from docket_worker._health import health_of

from tests.helpers import wait_until
from tests.redis_server import RedisServer, running_redis

STUCK_AFTER = 1.5
"""Seconds of a read without a reply that count as stuck here (30 s by default)."""


@pytest.fixture
def server() -> Iterator[RedisServer]:
    with running_redis() as started:
        yield started
        if started.process is not None:  # thawed, should the test fail while it is frozen
            started.process.send_signal(signal.SIGCONT)


async def test_a_worker_whose_reads_get_no_reply_is_reported_stuck_then_healthy(
    server: RedisServer,
) -> None:
    docket = Docket(f"stuck-{uuid.uuid4().hex[:8]}", server.url)
    async with docket, Worker(docket).running() as worker:
        await wait_until(lambda: health_of(worker, STUCK_AFTER).ok, what="a healthy worker")
        assert server.process is not None

        server.process.send_signal(signal.SIGSTOP)
        try:
            await wait_until(lambda: not health_of(worker, STUCK_AFTER).ok, within=15, what="stuck")
            reason = health_of(worker, STUCK_AFTER).reason
        finally:
            server.process.send_signal(signal.SIGCONT)

        assert reason.startswith("fetch loop stuck: a read from Redis at redis://")
        assert "has waited" in reason
        await wait_until(lambda: health_of(worker, STUCK_AFTER).ok, within=15, what="healthy again")
