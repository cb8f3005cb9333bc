"""Operations tests run on dockets whose workers beat fast, so a dead one vanishes quickly."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from docket import Docket

from ..helpers import assert_consistent

HEARTBEAT = timedelta(milliseconds=50)
MISSED = 3
TTL = HEARTBEAT * MISSED


@pytest.fixture
async def docket(docket_url: str) -> AsyncIterator[Docket]:
    """An open docket of its own whose workers beat every 50 ms (gone after 150 ms of silence)."""
    async with Docket(
        name=f"test-{uuid.uuid4().hex}",
        url=docket_url,
        heartbeat_interval=HEARTBEAT,
        missed_heartbeats=MISSED,
    ) as opened:
        yield opened
        await assert_consistent(opened)


class Blocker:
    """A task that runs until the test releases it; `started` counts the runs begun."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started = 0

    async def blocked(self, n: int = 0) -> None:
        self.started += 1
        await self.release.wait()


@pytest.fixture
def blocker(docket: Docket) -> Blocker:
    made = Blocker()
    docket.register(made.blocked)
    return made
