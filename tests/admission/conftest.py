"""The admission suite runs on a docket of one shard and on one of three (Docket(shards=3)):
a sharded docket keeps its limits on one slot and its tasks on many, and every limit must
hold the same there (docket_worker._sharded_admission)."""

import uuid
from collections.abc import AsyncIterator

import pytest
from docket import Docket

from ..helpers import assert_consistent


@pytest.fixture(params=[1, 3], ids=["one-shard", "three-shards"])
async def docket(docket_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Docket]:
    """An open docket with a name of its own, of one shard or of three."""
    shards: int = request.param
    async with Docket(name=f"test-{uuid.uuid4().hex}", url=docket_url, shards=shards) as opened:
        yield opened
        await assert_consistent(opened)
