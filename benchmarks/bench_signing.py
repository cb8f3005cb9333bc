"""What signing costs: adding 10,000 no-op tasks, and draining them at concurrency 100, with
signing_keys and without, in the same run (records off, to show signing's own cost)."""

import uuid
from datetime import timedelta

import pytest
from docket import Docket

from ._adding import Added, add_timed, report_add_and_drain
from ._support import Benchmark

KEYS = {"off": None, "on": [b"benchmark-signing-key-0123456789", b"an-older-key-9876543210"]}


async def add_all(redis_url: str, signing: str) -> Added:
    docket = Docket(
        f"bench-{uuid.uuid4().hex}",
        redis_url,
        signing_keys=KEYS[signing],
        execution_ttl=timedelta(0),
    )
    added: list[Added] = []

    async def noop() -> None:
        added[0].ran[0] += 1

    add = docket.add(noop)
    added.append(await add_timed(docket, add))
    return added[0]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("signing", ["off", "on"])
def test_add_and_drain_with_and_without_signing(
    benchmark: Benchmark, redis_url: str, signing: str
) -> None:
    report_add_and_drain(benchmark, lambda: add_all(redis_url, signing), f"signing {signing}")
