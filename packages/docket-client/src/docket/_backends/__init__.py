"""Backends: where a docket's state lives, chosen by the scheme of the docket's URL.

``redis://``, ``rediss://`` and ``unix://`` talk to a Redis server; ``memory://name`` runs an
embedded in-process engine that executes the same Lua scripts (for tests and single-process
apps). Both expose the same docket operations, see ``RedisBackend``.
"""

from .._keys import DocketKeys
from .._urls import redact_url
from ._credentials import Credentials
from .redis import RedisBackend

REDIS_SCHEMES = (
    "redis",
    "rediss",
    "unix",
    "redis+cluster",
    "rediss+cluster",
    "redis+sentinel",
    "rediss+sentinel",
)


def note_worker(url: str) -> None:
    """Tell the backend of `url` that a Worker of this process serves it (memory:// uses it
    to warn about tasks added where nothing runs them)."""
    if url.partition("://")[0].lower() == "memory":
        from .memory import worker_created

        worker_created(url)


def open_backend(
    url: str, keys: DocketKeys, credentials: Credentials | None = None
) -> RedisBackend:
    """Create the backend for a docket URL (memory:// has no credentials to use)."""
    scheme = url.partition("://")[0].lower()
    if scheme == "memory":
        from .memory import MemoryBackend

        return MemoryBackend(url, keys)
    if scheme in REDIS_SCHEMES:
        return RedisBackend(url, keys, credentials=credentials)
    raise ValueError(
        f"docket URL {redact_url(url)!r} has an unknown scheme: use redis://host:port/db, "
        "rediss:// (TLS), unix:///path/to/redis.sock, redis+cluster://host:port[,host:port]/, "
        "redis+sentinel://host:26379[,host]/service_name or memory://name."
    )


__all__ = ["RedisBackend", "note_worker", "open_backend", "redact_url"]
