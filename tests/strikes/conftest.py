"""Strike fixtures: more Docket clients on the test's docket (each one a separate client, as
another process's would be)."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import pytest
from docket import Docket

OpenPeer = Callable[[], Awaitable[Docket]]


@pytest.fixture
async def open_peer(docket: Docket) -> AsyncIterator[OpenPeer]:
    """Open another Docket on the test's docket (name and URL); closed at teardown."""
    async with AsyncExitStack() as stack:

        async def open_one() -> Docket:
            return await stack.enter_async_context(Docket(name=docket.name, url=docket.url))

        yield open_one
