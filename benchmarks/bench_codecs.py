"""What codecs cost: adding 10,000 tasks with realistic arguments (a dict of 20 fields, a
list of 100 ints, a datetime), and draining them at concurrency 100, with cloudpickle and with
msgpack, in the same run (records off)."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from docket import Docket
from docket._codecs import Codec

from ._adding import Added, add_timed, report_add_and_drain
from ._support import Benchmark

WHEN = datetime(2026, 1, 1, tzinfo=UTC)
FIELDS = {f"field_{n}": (n if n % 2 else f"value {n}") for n in range(20)}
NUMBERS = list(range(100))


async def add_all(redis_url: str, codec: Codec) -> Added:
    docket = Docket(f"bench-{uuid.uuid4().hex}", redis_url, codec=codec, execution_ttl=timedelta(0))
    added: list[Added] = []

    async def realistic(fields: dict[str, Any], numbers: list[int], when: datetime) -> None:
        added[0].ran[0] += 1

    add = docket.add(realistic)
    added.append(await add_timed(docket, lambda: add(FIELDS, NUMBERS, WHEN)))
    return added[0]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("codec", ["cloudpickle", "msgpack"])
def test_add_and_drain_with_each_codec(benchmark: Benchmark, redis_url: str, codec: Codec) -> None:
    report_add_and_drain(benchmark, lambda: add_all(redis_url, codec), codec)
