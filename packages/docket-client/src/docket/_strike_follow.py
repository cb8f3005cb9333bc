"""Following a docket's strikes: load them when a Docket opens, then follow their channel.

Each open Docket reads the strikes hash once in ``__aenter__`` (one round trip) and keeps one
subscription to the docket's strikes channel in a background task. Every confirmation of the
subscription (the first one, and each after a reconnect) and every announcement makes it read
the whole hash again: a change can never be missed, only seen a few milliseconds late. Reads
are one at a time, so the last one read is the newest state.
"""

import asyncio
import contextlib
import itertools
import logging
import time
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from ._strikes import Strike, Strikes

if TYPE_CHECKING:
    from ._backends import RedisBackend
    from ._docket import Docket

logger = logging.getLogger("docket.strikes")

RECONNECT_PAUSES = (0.1, 2.0)
"""Seconds before the first try to subscribe again (or read the strikes) after losing Redis,
doubled after each failed try up to the second figure."""
LOST_QUIETLY = 2.0
"""Seconds the subscription may stay lost before it is logged (a blip, a closing process, or
an outage the worker logs itself, says nothing)."""
UNHOLD_BATCH = 500
"""Held executions put back per script call by a restore."""


def _stored(reply: Any) -> dict[str, bytes]:
    """An HGETALL reply (a flat list in RESP2, a dict in RESP3) as id -> encoded strike."""
    pairs = reply.items() if isinstance(reply, dict) else itertools.batched(reply, 2)
    stored: dict[str, bytes] = {}
    for field, value in pairs:
        name = field.decode() if isinstance(field, bytes) else str(field)
        stored[name] = value if isinstance(value, bytes) else str(value).encode()
    return stored


class StrikeFollower:
    """Keeps a Docket's `Strikes` current while the Docket is open."""

    def __init__(self, strikes: Strikes) -> None:
        self.strikes = strikes
        self._backend: RedisBackend | None = None
        self._task: asyncio.Task[None] | None = None
        self._reading = asyncio.Lock()
        self._following = asyncio.Event()
        """Set once subscribed and read since: no change can be missed from then on."""
        self._reloads: set[asyncio.Task[None]] = set()

    async def load(self, backend: "RedisBackend") -> None:
        """Read the strikes in effect (the Docket is opening)."""
        self.strikes.replace(
            _stored(await backend.transport.execute("HGETALL", backend.keys.strikes))
        )

    def start(self, backend: "RedisBackend") -> None:
        """Follow the strikes channel in the background, until `close`."""
        self._backend = backend
        self._following.clear()
        self._task = asyncio.create_task(self._follow(backend), name="docket strikes")

    async def following(self, within: float) -> bool:
        """Wait (up to `within` seconds) until the subscription is confirmed and the strikes
        were read after it; False if that did not happen in time."""
        try:
            await asyncio.wait_for(self._following.wait(), within)
        except TimeoutError:
            return False
        return True

    async def reload(self) -> None:
        """Read the strikes hash again, now (one read at a time)."""
        backend = self._backend
        if backend is None:
            return
        async with self._reading:
            reply = await backend.transport.execute("HGETALL", backend.keys.strikes)
            self.strikes.replace(_stored(reply))

    def reload_soon(self) -> None:
        """Read the strikes again in the background (a worker found a strike lifted)."""
        if self._backend is not None:
            task = asyncio.get_running_loop().create_task(self._reload_quietly())
            self._reloads.add(task)
            task.add_done_callback(self._reloads.discard)

    async def _reload_quietly(self) -> None:
        with contextlib.suppress(RedisError, OSError):
            await self.reload()

    async def _follow(self, backend: "RedisBackend") -> None:
        pubsub: Any = backend.client.pubsub()
        subscribed, stale, lost_since, warned = False, False, 0.0, False
        pause = RECONNECT_PAUSES[0]
        try:
            while True:
                try:
                    if not subscribed:
                        await pubsub.subscribe(backend.keys.strikes_changed)
                        subscribed = True
                    if not stale:
                        message = await pubsub.get_message(timeout=None)
                        kind = None if message is None else message["type"]
                        stale = kind in ("subscribe", "message")
                    if stale:  # (again, if the last read failed)
                        await self.reload()
                        stale = False
                        self._following.set()
                        if warned:
                            logger.warning("following the strikes of %s again", backend.keys.name)
                        lost_since, warned, pause = 0.0, False, RECONNECT_PAUSES[0]
                except (RedisError, OSError) as error:
                    now = time.monotonic()
                    lost_since = lost_since or now
                    if not warned and now - lost_since >= LOST_QUIETLY:
                        warned = True
                        logger.warning(
                            "lost the strikes subscription of docket %s (%s); subscribing again",
                            backend.keys.name,
                            error,
                        )
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, RECONNECT_PAUSES[1])
        finally:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()

    async def close(self) -> None:
        for task in (self._task, *self._reloads):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._backend = None


def _follower(docket: "Docket") -> tuple["RedisBackend", StrikeFollower]:
    backend = docket.backend  # raises the one "not open" error
    follower = docket._strike_follower
    if follower is None:  # (only while it closes)
        raise RuntimeError(f"{docket!r} is closing: strike before leaving `async with`.")
    return backend, follower


def every_shard(docket: "Docket") -> list["RedisBackend"]:
    """The backends of every shard (the docket's own when it has one shard)."""
    return [view.backend for view in docket._views] or [docket.backend]


async def following_strikes(docket: "Docket", within: float) -> bool:
    """Wait until `docket` follows its strikes channel (a worker does, before its first
    fetch, so that no strike made as it starts is missed); False if not `within` seconds."""
    _backend, follower = _follower(docket)
    return await follower.following(within)


async def put_strike(docket: "Docket", strike: Strike) -> Strike:
    """Put `strike` in effect and announce it (docket.strike)."""
    _backend, follower = _follower(docket)
    # Each shard keeps its own copy: its hold script reads it within the shard's slot.
    for backend in every_shard(docket):
        await backend.scripts.strike(strike.id, strike.encode())
    await follower.reload()
    return strike


async def lift_strike(docket: "Docket", strike: Strike) -> int:
    """Lift `strike`, announce it, and make every held execution due again (the workers hold
    again what other strikes still match); returns how many were put back (docket.restore)."""
    _backend, follower = _follower(docket)
    shards = every_shard(docket)
    for backend in shards:
        await backend.scripts.strike(strike.id, None)
    await follower.reload()
    released = 0
    for backend in shards:
        members: Any = await backend.transport.execute("ZRANGE", backend.keys.held, 0, -1)
        keys = [m.decode() if isinstance(m, bytes) else str(m) for m in members]
        for batch in itertools.batched(keys, UNHOLD_BATCH):
            released += await backend.scripts.unhold(batch)
    return released
