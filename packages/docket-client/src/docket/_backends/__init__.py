"""Backends: where a docket's state lives, chosen by the scheme of the docket's URL.

``redis://``, ``rediss://`` and ``unix://`` talk to a Redis server; ``memory://name`` runs an
embedded in-process engine that executes the same Lua scripts (for tests and single-process
apps). Both expose the same docket operations, see ``RedisBackend``.
"""

from urllib.parse import urlsplit, urlunsplit

from .._keys import DocketKeys
from .redis import RedisBackend

REDIS_SCHEMES = ("redis", "rediss", "unix")


def open_backend(url: str, keys: DocketKeys) -> RedisBackend:
    """Create the backend for a docket URL."""
    scheme = url.partition("://")[0].lower()
    if scheme == "memory":
        from .memory import MemoryBackend

        return MemoryBackend(url, keys)
    if scheme in REDIS_SCHEMES:
        return RedisBackend(url, keys)
    raise ValueError(
        f"docket URL {url!r} has an unknown scheme: use redis://host:port/db, rediss:// (TLS), "
        "unix:///path/to/redis.sock or memory://name."
    )


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***``, for logs and errors."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


__all__ = ["RedisBackend", "open_backend", "redact_url"]
