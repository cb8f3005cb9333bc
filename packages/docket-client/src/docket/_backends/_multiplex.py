"""One Redis connection shared by every concurrent caller, for the hot path.

Commands are written the moment they are issued and replies are matched to callers in order
(Redis answers in order on a connection), so no caller waits for a free connection, a burst of
calls becomes one pipelined write, and a caller that gives up (cancelled, timed out) leaves the
connection in step: its reply is still read and dropped. redis-py opens the connection (URL
options, TLS, AUTH, SELECT); hiredis packs commands and parses replies.
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

READ_SIZE = 65536
HIGH_WATER = 1 << 20
"""Bytes waiting to be sent after which a caller waits for the socket to drain."""
ATTEMPTS = 3
"""Tries of a command when the connection is lost (say, a stale one after a Redis restart)."""


class _Reply(Exception):
    """An error reply, as hiredis hands it over; turned into redis-py's exception classes."""


def _error(reply: _Reply) -> RedisError:
    error: RedisError = BaseParser.parse_error(str(reply))  # type: ignore[no-untyped-call]
    return error


class Multiplexer:
    """Pipelines concurrent commands over one connection; reconnects on the next call."""

    def __init__(self, url: str) -> None:
        self._pool = ConnectionPool.from_url(url)
        self._connection: Connection | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._waiting: deque[asyncio.Future[Any]] = deque()
        self._reading: asyncio.Task[None] | None = None
        self._connecting = asyncio.Lock()

    async def execute(self, *args: Any) -> Any:
        """Send one command and return its reply; error replies are raised."""
        [reply] = await self._send([hiredis.pack_command(args)])
        if isinstance(reply, _Reply):
            raise _error(reply)
        return reply

    async def execute_many(self, commands: Sequence[Sequence[Any]]) -> list[Any]:
        """Send many commands in one write; replies in order, error replies as exceptions."""
        packed = [hiredis.pack_command(tuple(command)) for command in commands]
        replies = await self._send(packed)
        return [_error(r) if isinstance(r, _Reply) else r for r in replies]

    async def _send(self, packed: list[bytes]) -> list[Any]:
        loop = asyncio.get_running_loop()
        for attempt in range(ATTEMPTS):
            try:
                writer = self._writer or await self._connect()
                futures = [loop.create_future() for _ in packed]
                self._waiting.extend(futures)
                writer.writelines(packed)
                if writer.transport.get_write_buffer_size() > HIGH_WATER:
                    await writer.drain()
                return [await future for future in futures]
            except (RedisConnectionError, ConnectionError, OSError):
                if attempt == ATTEMPTS - 1:
                    raise
                await asyncio.sleep(0.01 * 2**attempt)
        raise AssertionError("unreachable")

    async def _connect(self) -> asyncio.StreamWriter:
        async with self._connecting:
            if self._writer is not None:
                return self._writer
            connection: Connection = self._pool.make_connection()  # type: ignore[no-untyped-call]
            await connection.connect()  # type: ignore[no-untyped-call]
            reader: asyncio.StreamReader | None = connection._reader
            writer: asyncio.StreamWriter | None = connection._writer
            assert reader is not None
            assert writer is not None
            self._connection, self._writer = connection, writer
            self._reading = asyncio.create_task(self._read_replies(reader))
            return writer

    async def _read_replies(self, stream: asyncio.StreamReader) -> None:
        parser = hiredis.Reader(replyError=_Reply)
        waiting = self._waiting
        error: BaseException = RedisConnectionError("Connection closed by server.")
        try:
            while data := await stream.read(READ_SIZE):
                parser.feed(data)
                while (reply := parser.gets()) is not False:
                    future = waiting.popleft()
                    if not future.done():
                        future.set_result(reply)
        except (ConnectionError, OSError) as lost:
            error = RedisConnectionError(f"Connection lost: {lost}")
        except asyncio.CancelledError:
            error = RedisConnectionError("Connection closed by docket.")
            raise
        finally:
            self._broken(error)

    def _broken(self, error: BaseException) -> None:
        """Forget the connection and fail every caller still waiting on it."""
        connection, self._connection, self._writer = self._connection, None, None
        waiting, self._waiting = self._waiting, deque()
        for future in waiting:
            if not future.done():
                future.set_exception(error)
        if connection is not None and connection._writer is not None:
            connection._writer.close()
            connection._writer = None
            connection._reader = None

    async def close(self) -> None:
        reading, self._reading = self._reading, None
        if reading is not None:
            reading.cancel()
            await asyncio.gather(reading, return_exceptions=True)
        await self._pool.aclose()
