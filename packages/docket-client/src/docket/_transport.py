"""How the backends send commands: a seam between the multiplexed socket and redis-py."""

from collections.abc import Sequence
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError


def out_of_memory(error: BaseException) -> bool:
    """Whether Redis refused a command (or a script's write) because it is at maxmemory."""
    return isinstance(error, OutOfMemoryError) or "OOM command not allowed" in str(error)


class ReplyLostError(RedisConnectionError):
    """The command was written, but the connection dropped before its reply came: the server
    may or may not have run it. Only commands that are safe to run twice may be sent again."""


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


class NotReplicatedError(ReplyLostError):
    """The write ran on the master, but no replica confirmed it in time, so a failover could
    still lose it. Like a lost reply, the call is safe to send again (it is recognised)."""
