"""One Redis connection shared by every concurrent caller, for the hot path.

Commands are written the moment they are issued and replies are matched to callers in order
(Redis answers in order on a connection), so no caller waits for a free connection, a burst of
calls becomes one pipelined write, and a caller that gives up (cancelled, timed out) leaves the
connection in step: its reply is still read and dropped. redis-py opens the connection (URL
options, TLS, AUTH, SELECT); then an asyncio protocol of ours takes over the transport, so a
reply wakes its caller straight from the event loop, and hiredis packs and parses.

A command is only tried again when it was never written (the connection could not be made, or
was found closed before the write). Once written, a dropped connection fails its caller with
`ReplyLostError`: the server may have run it, and only the caller knows whether running it
twice is safe (docket's scripts recognise their own re-sends).
"""

import asyncio
from collections import deque
from collections.abc import Sequence
from typing import Any

import hiredis
from redis._parsers.base import BaseParser
from redis.asyncio import Connection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .._permissions import permission_error
from .._transport import ReplyLostError
from ._locate import located_pool
from ._redirects import REDIRECTS, ClusterBusyError, ask, pause, redirection

ATTEMPTS = 3
"""Tries to connect for a command that was not written yet (say, after a Redis restart)."""
DEFAULT_CONNECT_TIMEOUT = 5.0
"""Seconds to open a connection and finish its handshake unless the URL sets
socket_connect_timeout; a server that accepts but never answers fails within it."""
DEFAULT_TIMEOUT = 30.0
"""Seconds a reply may take (beyond a blocking command's own wait) unless the URL sets
socket_timeout; past it the connection is dropped as dead."""
WATCH_INTERVAL = 1.0
RESP = 2
"""The protocol version every docket connection speaks (see `Multiplexer.__init__`)."""


class _Reply(Exception):
    """An error reply, as hiredis hands it over; turned into redis-py's exception classes."""


def _error(reply: _Reply, url: str, key: str) -> Exception:
    """redis-py's exception for an error reply; an ACL refusal becomes DocketPermissionError
    (naming the user, the docket and what was refused)."""
    error: RedisError = BaseParser.parse_error(str(reply))  # type: ignore[no-untyped-call]
    docket = key[1 : key.find("}")] if key.startswith("{") else key
    refused = permission_error(error, action="run a command", url=url, docket=docket)
    return error if refused is None else refused


class _Protocol(asyncio.Protocol):
    """Matches replies to waiting callers, in order; fails them all if the connection drops."""

    def __init__(self, timeout: float) -> None:
        self.parser = hiredis.Reader(replyError=_Reply)
        self.waiting: deque[asyncio.Future[Any]] = deque()
        self.deadlines: deque[float] = deque()
        """When each waiting reply is overdue (loop time), in the same order as `waiting`."""
        self.timeout = timeout
        self.transport: Any = None
        """An asyncio transport (uvloop's are not asyncio.Transport subclasses, hence Any)."""
        self.writer: asyncio.StreamWriter | None = None
        """redis-py's writer of the socket, kept alive: collecting it would close the socket."""
        self.writable = asyncio.Event()
        self.writable.set()

    @property
    def busy(self) -> bool:
        """Whether a reply is still awaited (say, of a blocking read whose caller left)."""
        return bool(self.waiting)

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
        # Every waiting caller's command was written: the server may have run it.
        reason = f"connection lost: {exc}" if exc else "connection closed"
        error = ReplyLostError(f"{reason} before the reply came; the command may have run.")
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

    def __init__(self, url: str, *, key: str = "", identify: bool = False, **options: Any) -> None:
        """`key`: a key of the docket, to find its node in a cluster; `identify`: learn the
        connection's CLIENT ID on connect (see `client_id`); `options` go to redis-py's
        connection (a credential_provider, say)."""
        self._pool, self._locator = located_pool(url, key, **options)
        self._url, self._key = url, key
        # Always RESP2, whatever redis-py's default or the URL says: its replies have no maps,
        # which hiredis builds wrongly (it mis-pairs repeated keys) in RESP3; see RESP below.
        self._pool.connection_kwargs["protocol"] = RESP
        self._identify = identify
        self.client_id: int | None = None
        """The server's id of the current connection, when asked to identify: another
        connection can end a blocking read left on the server with CLIENT UNBLOCK."""
        options = self._pool.connection_kwargs
        self._timeout = float(options.get("socket_timeout") or DEFAULT_TIMEOUT)
        self._connect_timeout = float(
            options.get("socket_connect_timeout") or DEFAULT_CONNECT_TIMEOUT
        )
        self._protocol: _Protocol | None = None
        self._connecting = asyncio.Lock()

    @property
    def connected(self) -> bool:
        """Whether a connection is open now (a command would not have to connect first)."""
        return self._protocol is not None and self._protocol.usable

    async def execute(self, *args: Any, blocking_ms: int = 0) -> Any:
        """Send one command and return its reply; error replies are raised.

        `blocking_ms` is how long the command itself may wait on the server (BLOCK).
        """
        [reply] = await self._send([hiredis.pack_command(args)], blocking_ms)
        if isinstance(reply, _Reply):
            if self._locator is not None and redirection(reply):
                [reply] = await self._redirected([args], [reply], blocking_ms)
                if not isinstance(reply, Exception):
                    return reply
            raise _error(reply, self._url, self._key) if isinstance(reply, _Reply) else reply
        return reply

    async def execute_many(self, commands: Sequence[Sequence[Any]]) -> list[Any]:
        """Send many commands in one write; replies in order, error replies as exceptions."""
        packed = [hiredis.pack_command(tuple(command)) for command in commands]
        replies = await self._send(packed)
        if self._locator is not None and any(
            isinstance(r, _Reply) and redirection(r) for r in replies
        ):
            replies = await self._redirected(commands, replies)
        url, key = self._url, self._key
        return [_error(r, url, key) if isinstance(r, _Reply) else r for r in replies]

    async def _redirected(
        self, commands: Sequence[Sequence[Any]], replies: list[Any], blocking_ms: int = 0
    ) -> list[Any]:
        """Send again what a cluster redirected or held back (it did not run): all of a
        docket's keys share one slot, so a redirect applies to the whole batch."""
        assert self._locator is not None
        packed = [hiredis.pack_command(tuple(command)) for command in commands]
        for attempt in range(REDIRECTS):
            redirects = [r for r in replies if isinstance(r, _Reply | Exception) and redirection(r)]
            kinds = {redirection(r) for r in redirects}
            if not kinds:
                return replies
            if "moved" in kinds:
                self._locator.invalidate()
                self._drop()
            elif "ask" in kinds:
                asked = next(r for r in redirects if redirection(r) == "ask")
                replies = await ask(self._pool, asked, commands)
                continue
            else:
                await pause(attempt)
            replies = await self._send(packed, blocking_ms)
        raise ClusterBusyError(
            f"the cluster kept redirecting or holding back {commands[0][0]!r} "
            f"({', '.join(sorted(k for k in kinds if k))}); it did not run"
        )

    def _drop(self) -> None:
        """Close the connection (say, to a node that no longer serves the docket)."""
        protocol, self._protocol = self._protocol, None
        if protocol is not None and protocol.transport is not None:
            protocol.transport.close()

    async def _send(self, packed: list[bytes], blocking_ms: int = 0) -> list[Any]:
        protocol = self._protocol
        if protocol is None or not protocol.usable or not protocol.writable.is_set():
            protocol = await self._writable_protocol()
        futures = self._write(protocol, packed, blocking_ms)
        if len(futures) == 1:
            return [await futures[0]]
        return [await future for future in futures]

    @staticmethod
    async def _send_on(protocol: _Protocol, packed: list[bytes], blocking_ms: int = 0) -> list[Any]:
        return [await future for future in Multiplexer._write(protocol, packed, blocking_ms)]

    @staticmethod
    def _write(
        protocol: _Protocol, packed: list[bytes], blocking_ms: int
    ) -> list[asyncio.Future[Any]]:
        """Write commands now; their replies arrive in the returned futures, in order."""
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in packed]
        protocol.waiting.extend(futures)
        deadline = loop.time() + protocol.timeout + blocking_ms / 1000
        protocol.deadlines.extend([deadline] * len(futures))
        protocol.transport.writelines(packed)
        return futures

    async def _writable_protocol(self) -> _Protocol:
        """An open connection ready for a write; connection failures before anything is
        written are tried again, as nothing can have run."""
        for attempt in range(ATTEMPTS):
            try:
                protocol = self._protocol
                if protocol is None or not protocol.usable:
                    protocol = await self._connect()
                if not protocol.writable.is_set():
                    await protocol.writable.wait()
                if not protocol.usable:
                    raise RedisConnectionError("Connection closed.")
                return protocol
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
            try:
                # The handshake (HELLO, AUTH, SELECT, CLIENT SETINFO) waits for replies too.
                async with asyncio.timeout(self._connect_timeout):
                    await connection.connect()  # type: ignore[no-untyped-call]
            except TimeoutError:
                await connection.disconnect()
                raise RedisTimeoutError(
                    f"no answer from the server within {self._connect_timeout:g} s "
                    "(socket_connect_timeout)"
                ) from None
            except BaseException:  # cancelled or refused mid-handshake: leave no socket open
                if connection._writer is not None:
                    connection._writer.transport.abort()
                raise
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
            if self._identify:
                self.client_id = None
                command = hiredis.pack_command(("CLIENT", "ID"))  # type: ignore[arg-type]
                try:
                    [reply] = await self._send_on(protocol, [command])
                except BaseException:
                    # Cancelled (or failed) before the connection was ours to close later:
                    # close it now, or it stays open (and uvloop's close waits for it).
                    transport.abort()
                    raise
                self.client_id = int(reply)
            self._protocol = protocol
            return protocol

    @property
    def awaiting_reply(self) -> bool:
        """Whether the server still owes this connection a reply."""
        return self._protocol is not None and self._protocol.busy

    async def close(self) -> None:
        protocol, self._protocol = self._protocol, None
        if protocol is not None and protocol.transport is not None:
            protocol.transport.close()
        await self._pool.aclose()
