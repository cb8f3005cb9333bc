"""Rotating credentials (managed Redis with IAM or Entra ID tokens): every connection of a
docket asks its credential provider when it connects, and the open ones authenticate again
when the provider hands out a new token.

redis-py asks `credential_provider` on each connect, for the pools and for the multiplexed
connections alike (redis-py makes those, then hands their socket over). What is open already
is refreshed by `Credentials.refresh`: an ``AUTH`` on each multiplexed connection (pipelined
behind whatever it is waiting for, a blocking read included), and idle pool connections are
closed so they reconnect with the new token. Subscribed connections cannot send AUTH (RESP2);
the server keeps them, and if it drops one, it reconnects through the provider.
"""

import asyncio
import contextlib
import logging
import weakref
from typing import TYPE_CHECKING, Any

from redis.credentials import CredentialProvider, StreamingCredentialProvider
from redis.exceptions import RedisError

if TYPE_CHECKING:
    from redis.asyncio import ConnectionPool

    from ._multiplex import Multiplexer

logger = logging.getLogger("docket.client")


class Credentials:
    """One docket's credential provider and the connections it keeps authenticated."""

    def __init__(self, provider: CredentialProvider) -> None:
        self.provider = provider
        self.multiplexers: weakref.WeakSet[Multiplexer] = weakref.WeakSet()
        self.pools: weakref.WeakSet[ConnectionPool] = weakref.WeakSet()
        self.current: tuple[str, ...] | None = None
        """The credentials the open connections use, as last handed out."""

    async def fetch(self) -> tuple[str, ...]:
        credentials: Any = await self.provider.get_credentials_async()
        return tuple(credentials)

    async def refresh(self) -> int:
        """Ask the provider; if its credentials changed, authenticate every open multiplexed
        connection again and close the idle pooled ones. How many re-authenticated."""
        credentials = await self.fetch()
        if credentials == self.current:
            return 0
        first, self.current = self.current is None, credentials
        if first:
            return 0
        connected = [m for m in list(self.multiplexers) if m.connected]
        replies = await asyncio.gather(
            *(m.execute("AUTH", *credentials) for m in connected), return_exceptions=True
        )
        for reply in replies:
            if isinstance(reply, RedisError | OSError):  # it reconnects through the provider
                logger.warning("could not authenticate a connection again: %s", reply)
        for pool in list(self.pools):
            await pool.disconnect(inuse_connections=False)
        return sum(1 for reply in replies if not isinstance(reply, BaseException))


CHECK_EVERY = 5.0
"""Seconds between asks of a provider that does not say when its token changes (a
StreamingCredentialProvider says so, and is asked at once)."""


async def keep_fresh(credentials: Credentials, every: float = CHECK_EVERY) -> None:
    """Refresh `credentials` every `every` seconds, and whenever a streaming provider has a
    new token, until cancelled."""
    changed = asyncio.Event()
    provider = credentials.provider
    if isinstance(provider, StreamingCredentialProvider):
        loop = asyncio.get_running_loop()

        def token_changed(_token: object) -> None:  # maybe from the provider's own thread
            loop.call_soon_threadsafe(changed.set)

        provider.on_next(token_changed)
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), every)
        changed.clear()
        try:
            await credentials.refresh()
        except Exception as error:  # the provider failed: try again at the next turn
            logger.warning("could not refresh the Redis credentials: %s", error)


def credentials_for(provider: CredentialProvider | None) -> Credentials | None:
    return None if provider is None else Credentials(provider)


async def refreshing(credentials: Credentials | None) -> "asyncio.Task[None] | None":
    """Note the credentials the connections use now, then keep them fresh in a task."""
    if credentials is None:
        return None
    await credentials.refresh()
    return asyncio.create_task(keep_fresh(credentials))
