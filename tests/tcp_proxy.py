"""A real TCP proxy in front of a real server, that can lose replies and drop connections.

It runs its own event loop in a thread, so tests driving it from asyncio and tests that run
subprocesses (and block) can both use it. It forwards bytes unchanged; the faults are:

- `lose_replies(n, after=b"...")`: the next `n` chunks of bytes the server sends (on a
  connection whose last request contained `after`, if given) are swallowed, and the connection
  that carried each is closed, as when a network drops between the server running a command
  and the client reading its reply;
- `close_after_replies(n)`: after `n` more chunks from the server have been forwarded, every
  connection is closed and new ones are refused until `accept()`;
- `refuse()` / `accept()`: close every connection and refuse new ones, or accept again.
"""

import asyncio
import contextlib
import threading
from collections.abc import Iterator

from .redis_server import free_port

CHUNK = 65536


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.replies_lost = 0
        self._to_lose = 0
        self._lose_after: bytes | None = None
        self._refuse_when_lost = False
        self._close_after: int | None = None
        self._refusing = False
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    # -- control (thread-safe) ---------------------------------------------------------------

    def start(self) -> "TcpProxy":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(timeout=5)
        return self

    def lose_replies(
        self, count: int = 1, after: bytes | None = None, *, then_refuse: bool = False
    ) -> None:
        """`then_refuse`: once the replies are lost, refuse connections until `accept()`."""
        with self._lock:
            self._to_lose += count
            self._lose_after = after
            self._refuse_when_lost = then_refuse

    def close_after_replies(self, count: int) -> None:
        with self._lock:
            self._close_after = count

    def refuse(self) -> None:
        with self._lock:
            self._refusing = True
        self._call(self._close_all)

    def accept(self) -> None:
        with self._lock:
            self._refusing = False
            self._close_after = None

    def stop(self) -> None:
        async def shutdown() -> None:
            self._close_all()
            if self._server is not None:
                self._server.close()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()

    # -- the proxy (runs on its own loop) ------------------------------------------------------

    def _call(self, function: "object") -> None:
        async def run() -> None:
            function()  # type: ignore[operator]

        asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=5)

    def _close_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _serve(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        if self._refusing:
            client.transport.abort()
            return
        try:
            server_reader, server = await asyncio.open_connection(*self.target)
        except OSError:
            client.transport.abort()
            return
        self._writers.update((client, server))
        last_request = [b""]
        upstream = asyncio.create_task(self._pipe(client_reader, server, last_request, lossy=False))
        downstream = asyncio.create_task(
            self._pipe(server_reader, client, last_request, lossy=True)
        )
        await asyncio.wait({upstream, downstream}, return_when=asyncio.FIRST_COMPLETED)
        for task in (upstream, downstream):
            task.cancel()
        for writer in (client, server):
            self._writers.discard(writer)
            writer.transport.abort()

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        last_request: list[bytes],
        *,
        lossy: bool,
    ) -> None:
        while data := await reader.read(CHUNK):
            if not lossy:
                last_request[0] = data
            elif self._lose(last_request[0]):
                return  # swallowed: the caller of _serve closes both sides
            writer.write(data)
            await writer.drain()
            if lossy and self._closing_now():
                self._close_all()
                return

    def _lose(self, request: bytes) -> bool:
        with self._lock:
            wanted = self._lose_after is None or self._lose_after in request
            if self._to_lose > 0 and wanted:
                self._to_lose -= 1
                self.replies_lost += 1
                if self._to_lose == 0 and self._refuse_when_lost:
                    self._refusing = True
                return True
            return False

    def _closing_now(self) -> bool:
        with self._lock:
            if self._close_after is None:
                return False
            self._close_after -= 1
            if self._close_after > 0:
                return False
            self._close_after = None
            self._refusing = True
            return True


@contextlib.contextmanager
def proxy_to(target_port: int) -> Iterator[TcpProxy]:
    """A started proxy to 127.0.0.1:`target_port`, stopped on exit."""
    proxy = TcpProxy(target_port).start()
    try:
        yield proxy
    finally:
        proxy.stop()
