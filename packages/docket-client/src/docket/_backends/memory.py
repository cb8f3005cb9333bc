"""The memory:// backend: an embedded in-process engine (fakeredis with Lua) per URL.

It runs the very Lua scripts the Redis backend runs, so behaviour cannot drift between them.
``memory://a`` and ``memory://b`` are separate; every Docket with the same memory URL in one
process shares one engine.
"""

import asyncio
from typing import Any

from redis.asyncio import Redis

from .._transport import ClientTransport, Transport
from .redis import Message, RedisBackend

_servers: dict[str, Any] = {}


def _server(url: str) -> Any:
    try:
        import fakeredis
    except ImportError as error:
        raise ImportError(
            "memory:// needs the embedded engine: `uv add 'docket-client[memory]'` "
            "(or pip install 'docket-client[memory]')."
        ) from error
    if url not in _servers:
        _servers[url] = fakeredis.FakeServer()
    return _servers[url]


class MemoryBackend(RedisBackend):
    """A docket kept in this process's memory."""

    replicas = False  # nothing to wait for: durability="replicated" changes nothing here

    def _transport(self) -> Transport:
        return ClientTransport(self._connect(1))

    def _connect(self, max_connections: int) -> Redis:
        import fakeredis

        client: Redis = fakeredis.FakeAsyncRedis(server=_server(self.url))
        return client

    async def read(self, consumer: str, count: int, block_ms: int | None) -> list[Message]:
        # The engine answers without ever suspending, so a worker whose tasks finish at once
        # would read again and again and starve the other workers of this process: let them
        # have their turn first, as the round trip to a real server does.
        await asyncio.sleep(0)
        # The embedded engine answers XREADGROUP ... COUNT n BLOCK t at once when the stream
        # has nothing new, so block on a plain XREAD past the group's last delivered entry.
        messages = await super().read(consumer, count, None)
        if messages or not block_ms:
            return messages
        groups = await self.client.xinfo_groups(self.keys.stream)
        last = next(g["last-delivered-id"] for g in groups if g["name"] == self.keys.group.encode())
        await self.client.xread({self.keys.stream: last}, count=1, block=block_ms)
        return await super().read(consumer, count, None)
