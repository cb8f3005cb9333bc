"""The memory:// backend: an embedded in-process engine (fakeredis with Lua) per URL.

It runs the very Lua scripts the Redis backend runs, so behaviour cannot drift between them.
``memory://a`` and ``memory://b`` are separate; every Docket with the same memory URL in one
process shares one engine.
"""

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from .._scripts import ScheduleArgs
from .._transport import ClientTransport, Transport
from .redis import Message, RedisBackend

logger = logging.getLogger("docket.client")

_servers: dict[str, Any] = {}
_served: set[str] = set()
"""memory:// URLs a Worker of this process was created for."""
_warned: set[str] = set()


def worker_created(url: str) -> None:
    """Note that a Worker of this process runs the tasks of memory:// docket `url`."""
    _served.add(url)


def _warn_if_unserved(url: str, docket: str) -> None:
    """Say once per URL that a task was added where no worker of this process runs it yet."""
    if url in _served or url in _warned:
        return
    _warned.add(url)
    logger.warning(
        "a task was added to docket %r on %s, but no Worker exists in this process: "
        "memory:// lives inside this one process, so only a Worker created here can run it (a "
        "`docket worker` process cannot see it). Create a Worker on this docket in this "
        "process (`async with worker.running():`), or use a redis:// URL.",
        docket,
        url,
    )


def _server(url: str) -> Any:
    try:
        import fakeredis
    except ImportError as error:
        raise ImportError(
            "memory:// needs its embedded engine, fakeredis with Lua: `uv add 'fakeredis[lua]'` "
            "(what docket-client's memory extra installs)."
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

    async def schedule(
        self,
        call: ScheduleArgs,
        *,
        replace: bool,
        resend: bool = False,
        replicated: bool = False,
        running: str = "finish",
    ) -> bool:
        scheduled = await super().schedule(call, replace=replace, resend=resend, running=running)
        _warn_if_unserved(self.url, self.keys.name)
        return scheduled

    async def schedule_many(
        self,
        calls: Sequence[ScheduleArgs],
        *,
        replace: bool,
        resend: bool = False,
        replicated: bool = False,
        atomic: bool = False,
    ) -> list[bool]:
        scheduled = await super().schedule_many(
            calls, replace=replace, resend=resend, atomic=atomic
        )
        _warn_if_unserved(self.url, self.keys.name)
        return scheduled

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
