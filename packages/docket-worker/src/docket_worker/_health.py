"""Whether a worker is healthy, and the HTTP health check `docket worker --healthcheck-port` serves.

Healthy means running, connected to Redis, and fetching: a worker whose Redis is gone, or whose
fetch loop waits on a read far longer than a read blocks, answers 503 with the reason.
"""

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._worker import Worker

STUCK_AFTER = 30.0
"""Seconds a fetch may wait on Redis before the worker counts as stuck (a read blocks 1 s)."""
REQUEST_TIMEOUT = 5.0
"""Seconds a health check client gets to send its request."""


@dataclass(frozen=True, slots=True)
class Health:
    """A worker's health: ``ok``, or why not (``reason``)."""

    ok: bool
    reason: str


def health_of(worker: "Worker", stuck_after: float = STUCK_AFTER) -> Health:
    """The health of `worker` now (see `Worker.health`)."""
    if worker._fetching is None:
        return Health(False, f"worker {worker.name!r} is not running")
    if worker.stopping:
        return Health(False, f"worker {worker.name!r} is stopping")
    if worker.outage.down:
        return Health(False, f"lost Redis at {worker.outage.url}; reconnecting")
    since = worker.reading_since
    if since is not None and time.monotonic() - since > stuck_after:
        return Health(
            False,
            f"fetch loop stuck: a read from Redis at {worker.outage.url} has waited "
            f"{time.monotonic() - since:.0f} s for a reply",
        )
    return Health(True, "ok")


async def serve_health(worker: "Worker", port: int, host: str = "0.0.0.0") -> asyncio.Server:
    """Serve `worker.health()` over HTTP on `port`: 200 ``ok``, or 503 and the reason."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT)
            health = worker.health()
            status = "200 OK" if health.ok else "503 Service Unavailable"
            body = f"{health.reason}\n".encode()
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass  # a client that went away or sent no request: nothing to answer
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    return await asyncio.start_server(answer, host, port)
