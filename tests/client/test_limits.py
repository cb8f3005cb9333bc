"""Input that Redis or a datetime cannot hold is refused at the call, naming the limit."""

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
import redis
from docket import Docket, InvalidScheduleError, MessageTooLargeError

from ..redis_server import RedisServer


async def record(n: object) -> None: ...


@pytest.mark.parametrize("key", ["lone \ud800 surrogate", "\udcff"])
async def test_a_key_that_is_not_valid_unicode_is_refused_by_add_and_cancel(
    docket: Docket, key: str
) -> None:
    with pytest.raises(InvalidScheduleError, match="not valid Unicode"):
        await docket.add(record, key=key)(1)
    with pytest.raises(InvalidScheduleError, match="not valid Unicode"):
        await docket.cancel(key)
    with pytest.raises(InvalidScheduleError, match="not valid Unicode"):
        docket.call(record, key=key)


async def test_a_task_name_that_is_not_valid_unicode_is_refused(docket: Docket) -> None:
    with pytest.raises(InvalidScheduleError, match="task name"):
        await docket.add("bad\ud800name")()


def test_a_docket_name_that_is_not_valid_unicode_is_refused() -> None:
    with pytest.raises(InvalidScheduleError, match="not valid Unicode"):
        Docket(name="orders\ud800")


@pytest.mark.parametrize(
    "when",
    [
        datetime(9999, 12, 31, 23, 30, tzinfo=timezone(-timedelta(hours=5))),
        datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=2))),
        datetime.max.replace(tzinfo=UTC),
    ],
    ids=["after 9999 in UTC", "before year 1 in UTC", "rounds up past 9999"],
)
async def test_a_when_outside_years_1_to_9999_in_utc_is_refused(
    docket: Docket, when: datetime
) -> None:
    with pytest.raises(InvalidScheduleError, match="years 1 to 9999"):
        await docket.add(record, when=when)(1)
    with pytest.raises(InvalidScheduleError, match="years 1 to 9999"):
        await docket.replace(record, when, "k")(1)


async def test_the_last_storable_moment_is_accepted(docket: Docket) -> None:
    last = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
    execution = await docket.add(record, when=last)(1)
    assert execution.when == last
    assert "9999-12-31" in repr(execution)
    await docket.cancel(execution.key)


@pytest.fixture
def small_server() -> Iterator[RedisServer]:
    """A private Redis that accepts bulk strings of at most 1 MiB (its lowest setting)."""
    server = RedisServer()
    server.start()
    client = redis.Redis(port=server.port)
    client.config_set("proto-max-bulk-len", 1024 * 1024)
    client.close()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
async def small_docket(small_server: RedisServer) -> AsyncIterator[Docket]:
    async with Docket(f"limits-{uuid.uuid4().hex}", small_server.url) as docket:
        yield docket


async def test_an_argument_larger_than_the_server_accepts_is_refused_naming_the_limit(
    small_docket: Docket,
) -> None:
    huge = b"x" * (2 * 1024 * 1024)
    with pytest.raises(MessageTooLargeError, match="proto-max-bulk-len 1,048,576") as raised:
        await small_docket.add(record, key="big")(huge)
    assert "record" in str(raised.value)
    with pytest.raises(MessageTooLargeError):
        await small_docket.add_many([small_docket.call(record)(1), small_docket.call(record)(huge)])

    # Nothing was sent, and the docket works on.
    assert await small_docket.backend.client.xlen(small_docket.keys.stream) == 0
    assert (await small_docket.add(record, key="big")(b"x" * 1000)).scheduled
