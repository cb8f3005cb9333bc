"""Helpers for the client tests: what a docket holds, and a worker running in the background."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from docket import Docket, Worker


async def stored_keys(docket: Docket) -> list[str]:
    """Every key of `docket` on its server, sorted; empty when nothing was ever written."""
    pattern = "\\{" + docket.name + "\\}*"
    return sorted([raw.decode() async for raw in docket.backend.client.scan_iter(match=pattern)])


@contextlib.asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[None]:
    """Run ``worker.run_forever()`` in the background for the duration of the block."""
    task = asyncio.create_task(worker.run_forever())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def soon(milliseconds: int = 20) -> datetime:
    return datetime.now(UTC) + timedelta(milliseconds=milliseconds)


def tomorrow() -> datetime:
    return datetime.now(UTC) + timedelta(days=1)
