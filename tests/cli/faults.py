"""Servers that fail the way networks do: one that never answers, and a proxy to a real Redis
that goes away the moment a given command is sent."""

import asyncio
import contextlib
import socket
from collections.abc import Iterator

CHUNK = 65536


@contextlib.contextmanager
def silent_port() -> Iterator[int]:
    """A 127.0.0.1 port that accepts TCP connections but never answers a byte.

    The kernel completes each connection (it waits in the listen backlog); nothing reads it.
    """
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        port: int = listener.getsockname()[1]
        yield port


class DropOnCommand:
    """A TCP proxy to a real Redis that, when a client sends `command`, closes every connection
    (without forwarding it) and refuses new ones: Redis going away at that very moment.

    It runs on the event loop of the test that opens it, for workers in subprocesses.
    """

    def __init__(self, target_port: int, command: bytes) -> None:
        self.target_port = target_port
        self.marker = b"\r\n" + command.upper() + b"\r\n"  # as a RESP bulk string
        self.dropped = False
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def __aenter__(self) -> "DropOnCommand":
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._drop()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def _drop(self) -> None:
        self.dropped = True
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.dropped:
            writer.transport.abort()
            return
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers.update((writer, server_writer))
        pipes = [
            asyncio.create_task(self._pipe(reader, server_writer, watch=True)),
            asyncio.create_task(self._pipe(server_reader, writer, watch=False)),
        ]
        await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        for pipe in pipes:
            pipe.cancel()
        for end in (writer, server_writer):
            self._writers.discard(end)
            end.transport.abort()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, watch: bool
    ) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(CHUNK):
                if watch and self.marker in data.upper():
                    self._drop()
                    return
                writer.write(data)
                await writer.drain()
