"""The `docket` command on a sharded docket (Docket(shards=N)): it finds the number of shards
the docket records, so `snapshot` sums every shard and `worker` drains them all."""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from docket import Docket

from .commands import docket_command


@pytest.fixture
async def sharded(redis_url: str) -> AsyncIterator[Docket]:
    async with Docket(name=f"cli-{uuid.uuid4().hex}", url=redis_url, shards=3) as opened:
        yield opened


async def test_snapshot_sums_every_shard(sharded: Docket, tmp_path: Path) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    for n in range(9):
        await sharded.add("trace", when=later, key=f"key-{n}")(f"n={n}")

    result = await docket_command("snapshot", "--json", docket=sharded, cwd=tmp_path)

    assert result.code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["counts"]["scheduled"] == 9
    assert sorted(f["key"] for f in document["future"]) == [f"key-{n}" for n in range(9)]


async def test_a_worker_drains_every_shard_of_the_docket(sharded: Docket, tmp_path: Path) -> None:
    for n in range(12):
        await sharded.add("trace", key=f"key-{n}")(f"n={n}")

    result = await docket_command(
        "worker", "--tasks", "docket.tasks:standard_tasks", "--until-finished",
        docket=sharded, cwd=tmp_path,
    )  # fmt: skip

    assert result.code == 0, result.stderr
    assert (await sharded.snapshot()).total_tasks == 0
    assert "shard" in result.stderr


async def test_a_client_with_another_number_of_shards_is_told_how_to_migrate(
    sharded: Docket, tmp_path: Path
) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    await sharded.add("trace", when=later, key="pending")("x")

    result = await docket_command(
        "snapshot", docket=sharded, env={"DOCKET_SHARDS": "2"}, cwd=tmp_path
    )

    assert result.code == 1
    assert "laid out in 3 shard(s)" in result.error_line()
