"""Replies that say "not here" or "not now": the command did not run, so it is sent again, to
the node the cluster (or, after READONLY from a demoted master, the sentinels) names, or after
a pause."""

import asyncio
from collections.abc import Sequence
from typing import Any

from redis.asyncio import ConnectionPool
from redis.asyncio.connection import Connection, SSLConnection
from redis.exceptions import (
    AskError,
    ClusterDownError,
    MovedError,
    ReadOnlyError,
    ResponseError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError

REDIRECTS = 12
"""Tries of a command the cluster keeps redirecting or holding back (about 3 s in all)."""
PAUSE = 0.05
MAX_PAUSE = 0.5


class ClusterBusyError(RedisConnectionError):
    """The cluster kept redirecting or holding back a command, which therefore did not run
    (a long migration or failover): like an outage, it is safe to try again later."""


def redirection(reply: object) -> str | None:
    """'moved', 'ask' or 'wait' for a cluster's redirect or hold-back reply (as hiredis gives
    it, or as redis-py raises it), else None."""
    if isinstance(reply, MovedError | ReadOnlyError):
        return "moved"
    if isinstance(reply, AskError):
        return "ask"
    if isinstance(reply, TryAgainError | ClusterDownError):
        return "wait"
    text = str(reply)
    if text.startswith("MOVED ") or "READONLY You can't write" in text:
        return "moved"  # READONLY: the master became a replica (a failover): look again
    if text.startswith("ASK "):
        return "ask"
    if text.startswith(("TRYAGAIN", "CLUSTERDOWN", "LOADING")):
        return "wait"
    return None


async def pause(attempt: int) -> None:
    await asyncio.sleep(min(PAUSE * 2**attempt, MAX_PAUSE))


def ask_target(reply: object) -> str:
    """host:port that an ASK reply names."""
    return str(reply).split(" ")[-1]


async def ask(pool: ConnectionPool, reply: object, commands: Sequence[Sequence[Any]]) -> list[Any]:
    """Run `commands` once on the node an ASK reply names (a slot being migrated there), each
    after ASKING, over a connection of its own with the pool's options. Error replies come
    back as redis-py's exceptions (TRYAGAIN while the keys of a script are split between the
    two nodes, say)."""
    address = ask_target(reply)
    host, _, port = address.rpartition(":")
    options = {k: v for k, v in pool.connection_kwargs.items() if k != "locator"}
    options |= {"host": host, "port": int(port)}
    # To that node itself, not wherever the pool's locator points.
    tls = issubclass(pool.connection_class, SSLConnection)
    connection = (SSLConnection if tls else Connection)(**options)
    replies: list[Any] = []
    try:
        await connection.connect()  # type: ignore[no-untyped-call]
        for command in commands:
            await connection.send_command("ASKING")
            await connection.read_response()
            await connection.send_command(*command)
            try:
                replies.append(await connection.read_response())
            except ResponseError as error:  # an error reply: handed over like the others
                replies.append(error)
    finally:  # closed at once: a cancelled call must leave no socket open (see _locate._ask)
        writer = connection._writer
        if writer is not None:
            writer.transport.abort()
        connection._writer = connection._reader = None
    return replies
