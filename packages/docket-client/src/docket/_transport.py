"""How the backends send commands: a seam between the multiplexed socket and redis-py."""

from collections.abc import Sequence
from typing import Any, Protocol

from redis.asyncio import Redis


class Transport(Protocol):
    """Sends raw commands; replies come back unparsed (bytes, ints, lists)."""

    async def execute(self, *args: Any, blocking_ms: int = 0) -> Any:
        """One command; an error reply is raised. `blocking_ms`: how long it may block."""
        ...

    async def execute_many(self, commands: Sequence[Sequence[Any]]) -> list[Any]:
        """Many commands in one round trip; error replies come back as exceptions."""
        ...

    async def close(self) -> None: ...


class ClientTransport:
    """A Transport over a redis-py client of its own (used by memory://)."""

    def __init__(self, client: Redis) -> None:
        client.response_callbacks.clear()  # raw replies, as the multiplexer gives them
        self.client = client

    async def execute(self, *args: Any, blocking_ms: int = 0) -> Any:
        return await self.client.execute_command(*args)  # type: ignore[no-untyped-call]

    async def execute_many(self, commands: Sequence[Sequence[Any]]) -> list[Any]:
        async with self.client.pipeline(transaction=False) as pipe:
            for command in commands:
                pipe.execute_command(*command)
            replies: list[Any] = await pipe.execute(raise_on_error=False)
        return replies

    async def close(self) -> None:
        await self.client.aclose()
