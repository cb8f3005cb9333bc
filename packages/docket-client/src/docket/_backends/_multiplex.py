"""One Redis connection shared by every concurrent caller, for the hot path.

Commands are written the moment they are issued and replies are matched to callers in order
(Redis answers in order on a connection), so no caller waits for a free connection, a burst of
calls becomes one pipelined write, and a caller that gives up (cancelled, timed out) leaves the
connection in step: its reply is still read and dropped. redis-py opens the connection (URL
options, TLS, AUTH, SELECT); then an asyncio protocol of ours takes over the transport, so a
reply wakes its caller straight from the event loop, and hiredis packs and parses.
"""

import asyncio
from collections import deque
from collections.abc import Sequence
from typing import Any

import hiredis
from redis._parsers.base import BaseParser
from redis.asyncio import Connection, ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

ATTEMPTS = 3
"""Tries of a command when the connection is lost (say, a stale one after a Redis restart)."""
DEFAULT_TIMEOUT = 30.0
"""Seconds a reply may take (beyond a blocking command's own wait) unless the URL sets
socket_timeout; past it the connection is dropped as dead."""
WATCH_INTERVAL = 1.0


class _Reply(Exception):
    """An error reply, as hiredis hands it over; turned into redis-py's exception classes."""


def _error(reply: _Reply) -> RedisError:
    error: RedisError = BaseParser.parse_error(str(reply))  # type: ignore[no-untyped-call]
    return error


class _Protocol(asyncio.Protocol):
    """Matches replies to waiting callers, in order; fails them all if the connection drops."""

    def __init__(self, timeout: float) -> None:
        self.parser = hiredis.Reader(replyError=_Reply)
        self.waiting: deque[asyncio.Future[Any]] = deque()
        self.deadlines: deque[float] = deque()
        """When each waiting reply is overdue (loop time), in the same order as `waiting`."""
        self.timeout = timeout
        self.transport: asyncio.Transport | None = None
        self.writer: asyncio.StreamWriter | None = None
        """redis-py's writer of the socket, kept alive: collecting it would close the socket."""
        self.writable = asyncio.Event()
        self.writable.set()

    @property
    def usable(self) -> bool:
        return self.transport is not None and not self.transport.is_closing()

    def data_received(self, data: bytes) -> None:
        parser, waiting = self.parser, self.waiting
        parser.feed(data)
        while (reply := parser.gets()) is not False:
            future = waiting.popleft()
            self.deadlines.popleft()
            if not future.done():
                future.set_result(reply)

    def watch(self) -> None:
        """Abort a connection whose oldest reply is overdue (a server or network that hangs
        without closing the socket), so callers fail and the next call reconnects."""
        transport = self.transport
        if transport is None:
            return
        loop = asyncio.get_running_loop()
        if self.deadlines and self.deadlines[0] < loop.time():
            transport.abort()
            return
        loop.call_later(WATCH_INTERVAL, self.watch)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = self.writer = None
        error = RedisConnectionError(f"Connection lost: {exc}" if exc else "Connection closed.")
        self.deadlines.clear()
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(error)
        self.writable.set()

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()


class Multiplexer:
    """Pipelines concurrent commands over one connection; reconnects on the next call."""

    def __init__(self, url: str) -> None:
        self._pool = ConnectionPool.from_url(url)
        self._timeout = float(self._pool.connection_kwargs.get("socket_timeout") or DEFAULT_TIMEOUT)
        self._protocol: _Protocol | None = None
        self._connecting = asyncio.Lock()

    async def execute(self, *args: Any, blocking_ms: int = 0) -> Any:
        """Send one command and return its reply; error replies are raised.

        `blocking_ms` is how long the command itself may wait on the server (BLOCK).
        """
        [reply] = await self._send([hiredis.pack_command(args)], blocking_ms)
        if isinstance(reply, _Reply):
            raise _error(reply)
        return reply

    async def execute_many(self, commands: Sequence[Sequence[Any]]) -> list[Any]:
        """Send many commands in one write; replies in order, error replies as exceptions."""
        packed = [hiredis.pack_command(tuple(command)) for command in commands]
        replies = await self._send(packed)
        return [_error(r) if isinstance(r, _Reply) else r for r in replies]

    async def _send(self, packed: list[bytes], blocking_ms: int = 0) -> list[Any]:
        for attempt in range(ATTEMPTS):
            try:
                protocol = self._protocol
                if protocol is None or not protocol.usable:
                    protocol = await self._connect()
                if not protocol.writable.is_set():
                    await protocol.writable.wait()
                transport = protocol.transport
                if transport is None or transport.is_closing():
                    raise RedisConnectionError("Connection closed.")
                loop = asyncio.get_running_loop()
                futures = [loop.create_future() for _ in packed]
                protocol.waiting.extend(futures)
                deadline = loop.time() + protocol.timeout + blocking_ms / 1000
                protocol.deadlines.extend([deadline] * len(futures))
                transport.writelines(packed)
                if len(futures) == 1:
                    return [await futures[0]]
                return [await future for future in futures]
            except (RedisConnectionError, ConnectionError, OSError):
                if attempt == ATTEMPTS - 1:
                    raise
                await asyncio.sleep(0.01 * 2**attempt)
        raise AssertionError("unreachable")

    async def _connect(self) -> _Protocol:
        async with self._connecting:
            if self._protocol is not None and self._protocol.usable:
                return self._protocol
            connection: Connection = self._pool.make_connection()  # type: ignore[no-untyped-call]
            await connection.connect()  # type: ignore[no-untyped-call]
            writer: asyncio.StreamWriter | None = connection._writer
            assert writer is not None
            # asyncio's own transports and uvloop's both do what we use (set_protocol,
            # writelines, abort), though uvloop's are not asyncio.Transport subclasses.
            transport: Any = writer.transport
            # The socket is ours from here on: detach it from redis-py's connection object.
            connection._writer = connection._reader = None
            protocol = _Protocol(self._timeout)
            protocol.transport, protocol.writer = transport, writer
            transport.set_protocol(protocol)
            protocol.watch()
            self._protocol = protocol
            return protocol

    async def close(self) -> None:
        protocol, self._protocol = self._protocol, None
        if protocol is not None and protocol.transport is not None:
            protocol.transport.close()
        await self._pool.aclose()
