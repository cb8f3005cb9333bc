"""Live events of task keys: one pub/sub connection per Docket, shared by every follower.

The scripts announce each state change and progress write of a key on its channel (see
``announce`` in prelude.lua and progress.lua) as plain fields joined by ``\\x1f`` (several in
one message split by ``\\x1e``); `decode` turns each into pydocket's event dict.
`Events.follow` subscribes to a key and returns once the server confirmed it, so a record
read after it cannot miss a change. It also puts the key in the docket's `followed` set
(refreshed while it listens, pruned when stale): the scripts announce only followed keys, so
a docket nobody watches pays nothing for announcements.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from ._time import ms_to_datetime

if TYPE_CHECKING:
    from ._backends import RedisBackend

logger = logging.getLogger("docket.client")

Event = dict[str, Any]
RESYNC = None
"""What a follower's queue gets when events may have been missed (the connection dropped):
read the record again."""
RECONNECT_PAUSE = 0.2
FOLLOW_MS = 60_000
"""How long a key stays followed without a refresh (a follower that died stops counting)."""
SEPARATOR = "\x1f"
BATCH_SEPARATOR = b"\x1e"
"""Between the announcements of one message (a run's start and end, sent together)."""


def _iso(ms: str) -> str | None:
    return ms_to_datetime(int(float(ms))).isoformat() if ms else None


def decode(key: str, data: bytes) -> Event | None:
    """The event dict of one announcement, or None if it is not one."""
    fields = data.decode(errors="replace").split(SEPARATOR)
    if fields[0] == "state" and len(fields) >= 7:
        _, state, when, worker, started, completed = fields[:6]
        error = SEPARATOR.join(fields[6:])
        event: Event = {"type": "state", "key": key, "state": state}
        if when:
            event["when"] = _iso(when)
        for name, value in (
            ("worker", worker or None),
            ("started_at", _iso(started)),
            ("completed_at", _iso(completed)),
            ("error", error or None),
        ):
            if value is not None:
                event[name] = value
        return event
    if fields[0] == "progress" and len(fields) >= 5:
        _, current, total, updated = fields[:4]
        message = SEPARATOR.join(fields[4:])
        return {
            "type": "progress",
            "key": key,
            "current": int(current) if current else 0,
            "total": int(total),
            "message": message or None,
            "updated_at": _iso(updated),
        }
    return None


class Events:
    """The followers of a docket's keys, over one lazily opened subscription."""

    def __init__(self, backend: "RedisBackend") -> None:
        self._backend = backend
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._followers: dict[str, set[asyncio.Queue[Event | None]]] = {}
        self._confirmed: dict[str, asyncio.Event] = {}
        self._refresher: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def follow(self, key: str) -> AsyncIterator["asyncio.Queue[Event | None]"]:
        """A queue of `key`'s events (and RESYNC), from the moment this returns."""
        channel = self._backend.keys.events(key)
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        followers = self._followers.setdefault(channel, set())
        followers.add(queue)
        try:
            if channel not in self._confirmed:
                self._confirmed[channel] = asyncio.Event()
                await self._subscribe(channel)
            await self._confirmed[channel].wait()
            await self._mark_followed([key])
            yield queue
        finally:
            followers.discard(queue)
            if not followers:
                del self._followers[channel]
                self._confirmed.pop(channel, None)
                with contextlib.suppress(RedisError, OSError):
                    await self._backend.transport.execute("ZREM", self._backend.keys.followed, key)
                    if self._pubsub is not None:
                        await self._pubsub.unsubscribe(channel)

    async def _mark_followed(self, keys: list[str]) -> None:
        """Put `keys` in the followed set until FOLLOW_MS from now, dropping stale ones (the
        set's scores are real time, whatever clock the docket follows)."""
        now = int(time.time() * 1000)
        followed = self._backend.keys.followed
        scored: list[Any] = []
        for key in keys:
            scored += (now + FOLLOW_MS, key)
        for reply in await self._backend.transport.execute_many(
            [("ZADD", followed, *scored), ("ZREMRANGEBYSCORE", followed, "-inf", now)]
        ):
            if isinstance(reply, Exception):
                raise reply

    async def _refresh(self) -> None:
        """Keep the followed keys marked while anyone here follows them."""
        prefix = len(self._backend.keys.events_prefix)
        while True:
            await asyncio.sleep(FOLLOW_MS / 3000)
            keys = [channel[prefix:] for channel in self._followers]
            if keys:
                with contextlib.suppress(RedisError, OSError):
                    await self._mark_followed(keys)

    async def _subscribe(self, channel: str) -> None:
        if self._pubsub is None:
            self._pubsub = self._backend.client.pubsub()
        await self._pubsub.subscribe(channel)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read(), name="docket events")
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.create_task(self._refresh(), name="docket followed")

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=None)
            except (RedisError, OSError) as error:
                logger.warning("lost the events subscription (%s); subscribing again", error)
                self._tell_all(RESYNC)
                await asyncio.sleep(RECONNECT_PAUSE)
                continue
            if message is not None:
                self._handle(message)

    def _handle(self, message: dict[str, Any]) -> None:
        channel = message["channel"]
        if isinstance(channel, bytes):
            channel = channel.decode()
        kind = message["type"]
        if kind == "subscribe":
            confirmed = self._confirmed.get(channel)
            if confirmed is not None:
                confirmed.set()
        elif kind == "message":
            key = channel[len(self._backend.keys.events_prefix) :]
            for text in message["data"].split(BATCH_SEPARATOR):
                event = decode(key, text)
                if event is not None:
                    for queue in self._followers.get(channel, ()):
                        queue.put_nowait(event)

    def _tell_all(self, event: Event | None) -> None:
        for followers in self._followers.values():
            for queue in followers:
                queue.put_nowait(event)

    async def close(self) -> None:
        for task in (self._reader, self._refresher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._reader = self._refresher = None
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.aclose()
            self._pubsub = None
