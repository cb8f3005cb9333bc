"""A reply lost with its connection (the server ran the call) never turns into a second run.

A real TCP proxy sits in front of the suite's Redis; it lets a call through, swallows the
server's reply and closes the connection, as a flaky network or a load balancer would.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from docket import Docket, DocketConnectionError, Retry, Worker
from docket._scripts import ACK, CANCEL, HANDBACK, SCHEDULE, SCHEDULE_BATCH

from ..helpers import assert_consistent, wait_until
from ..tcp_proxy import TcpProxy, proxy_to


@pytest.fixture
def proxy(redis_url: str) -> Iterator[TcpProxy]:
    port = urlsplit(redis_url).port
    assert port is not None
    with proxy_to(port) as started:
        yield started


@pytest.fixture
async def docket(proxy: TcpProxy) -> AsyncIterator[Docket]:
    async with Docket(name=f"lost-{uuid.uuid4().hex}", url=proxy.url) as opened:
        await load_scripts(opened)
        yield opened
        await assert_consistent(opened)


async def load_scripts(docket: Docket) -> None:
    """Load the scripts first: the reply a test loses must be that of a call that ran, not a
    NOSCRIPT (after which the call is sent again anyway)."""
    for script in (SCHEDULE, SCHEDULE_BATCH, CANCEL, ACK, HANDBACK):
        await docket.backend.transport.execute("SCRIPT", "LOAD", script.source)


async def record(n: int) -> None: ...


def connected(docket: Docket) -> bool:
    protocol = getattr(docket.backend.transport, "_protocol", None)
    return protocol is not None and bool(protocol.usable)


async def messages(docket: Docket) -> int:
    return int(await docket.backend.client.xlen(docket.keys.stream))


async def test_a_keyed_add_whose_reply_is_lost_reports_that_it_scheduled(
    docket: Docket, proxy: TcpProxy
) -> None:
    proxy.lose_replies(1, after=SCHEDULE.sha.encode())
    execution = await docket.add(record, key="only-once")(1)

    assert proxy.replies_lost == 1
    assert execution.scheduled
    assert await messages(docket) == 1


async def test_an_unkeyed_add_whose_reply_is_lost_puts_one_message_on_the_stream(
    docket: Docket, proxy: TcpProxy
) -> None:
    proxy.lose_replies(1, after=SCHEDULE.sha.encode())
    execution = await docket.add(record)(1)

    assert proxy.replies_lost == 1
    assert execution.scheduled
    assert await messages(docket) == 1


async def test_a_future_add_whose_reply_is_lost_parks_one_execution(
    docket: Docket, proxy: TcpProxy
) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    proxy.lose_replies(1, after=SCHEDULE.sha.encode())
    execution = await docket.replace(record, later, "parked")(1)

    assert execution.scheduled
    assert await docket.backend.client.zcard(docket.keys.queue) == 1


async def test_add_many_whose_reply_is_lost_schedules_each_call_once(
    docket: Docket, proxy: TcpProxy
) -> None:
    calls = [docket.call(record)(n) for n in range(20)] + [docket.call(record, key="k")(0)]
    proxy.lose_replies(1, after=SCHEDULE.sha.encode())
    executions = await docket.add_many(calls)

    assert proxy.replies_lost == 1
    assert all(execution.scheduled for execution in executions)
    assert await messages(docket) == 21


async def test_an_atomic_batch_whose_reply_is_lost_is_scheduled_once_and_says_so(
    docket: Docket, proxy: TcpProxy
) -> None:
    await docket.add(record, key="taken")(0)
    calls = [docket.call(record)(n) for n in range(20)] + [
        docket.call(record, key="k")(0),
        docket.call(record, key="taken")(1),
    ]
    proxy.lose_replies(1, after=SCHEDULE_BATCH.sha.encode())
    executions = await docket.add_many(calls, atomic=True)

    assert proxy.replies_lost == 1
    assert [e.scheduled for e in executions] == [True] * 21 + [False]
    assert await messages(docket) == 22


async def test_a_cancel_whose_reply_is_lost_reports_that_it_cancelled(
    docket: Docket, proxy: TcpProxy
) -> None:
    await docket.add(record, key="doomed")(1)
    proxy.lose_replies(1, after=CANCEL.sha.encode())

    assert await docket.cancel("doomed") is True
    assert proxy.replies_lost == 1
    assert await messages(docket) == 0
    assert await docket.cancel("doomed") is False


async def test_a_retry_in_an_ack_batch_whose_reply_is_lost_runs_once(
    docket: Docket, proxy: TcpProxy
) -> None:
    attempts: list[int] = []

    async def flaky(retry: Retry = Retry(attempts=3)) -> None:
        attempts.append(retry.attempt)
        if retry.attempt == 1:
            proxy.lose_replies(1, after=ACK.sha.encode())
            raise RuntimeError("first attempt fails")

    docket.register(flaky)
    await docket.add(flaky, key="flaky")()
    async with Worker(docket) as worker:
        await asyncio.wait_for(worker.run_until_finished(), timeout=20)

    assert proxy.replies_lost == 1
    assert attempts == [1, 2]


async def test_a_call_that_never_got_through_says_it_did_not_happen(proxy: TcpProxy) -> None:
    name = f"lost-{uuid.uuid4().hex}"
    async with Docket(name, proxy.url, reconnect_timeout=timedelta(seconds=0.3)) as docket:
        proxy.refuse()
        # Once the client has seen its connection close, nothing it sends can get through.
        await wait_until(lambda: not connected(docket), what="the client to see the close")
        with pytest.raises(DocketConnectionError, match="certainly did not happen") as raised:
            await docket.add(record, key="k")(1)
        assert raised.value.outcome_unknown is False


async def test_a_call_whose_reply_is_lost_while_redis_stays_away_says_outcome_unknown(
    proxy: TcpProxy,
) -> None:
    name = f"lost-{uuid.uuid4().hex}"
    async with Docket(name, proxy.url, reconnect_timeout=timedelta(seconds=0.3)) as docket:
        await load_scripts(docket)
        proxy.lose_replies(1, after=SCHEDULE.sha.encode(), then_refuse=True)
        with pytest.raises(DocketConnectionError, match="outcome is unknown") as raised:
            await docket.add(record, key="k")(1)
        assert raised.value.outcome_unknown is True
        assert "a keyed add, replace or cancel is safe" in str(raised.value)


async def test_producers_ride_out_a_short_outage(docket: Docket, proxy: TcpProxy) -> None:
    proxy.refuse()
    loop = asyncio.get_running_loop()
    loop.call_later(1.0, proxy.accept)

    execution = await docket.add(record, key="patient")(1)

    assert execution.scheduled
    assert await messages(docket) == 1
