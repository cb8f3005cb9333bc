"""Where a docket's server is: the one node of a plain URL, the master serving the docket's hash
slot in a Redis Cluster, or the master a Sentinel set-up names, found again after a failover.

A docket's keys share one hash tag, so in a cluster all of them live on one master: docket
talks to that node directly, over the same connections as to a single server, and looks the
node up again when it moves (a MOVED reply) or stops answering (a failover).
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlencode

from redis.asyncio import ConnectionPool
from redis.asyncio.connection import Connection, SSLConnection, parse_url
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

logger = logging.getLogger("docket.client")

SENTINEL_PORT = 26379
DISCOVERY_TIMEOUT = 2.0
"""Seconds a seed node or a sentinel gets to answer a look-up."""
SENTINEL_OPTIONS = ("sentinel_username", "sentinel_password")


class Locator(Protocol):
    """Finds the node a docket's connections go to."""

    async def locate(self) -> tuple[str, int]:
        """(host, port) of the node to talk to now."""
        ...

    def invalidate(self) -> None:
        """The node moved or failed: look it up again on the next connection."""
        ...


class _Located:
    """A redis-py connection that asks its locator where to connect, each time it connects."""

    host: str
    port: int

    def __init__(self, *, locator: Locator, **options: Any) -> None:
        super().__init__(**options)
        self.locator = locator

    async def _connect(self) -> None:
        self.host, self.port = await self.locator.locate()
        try:
            await super()._connect()  # type: ignore[misc]
        except (OSError, TimeoutError):
            self.locator.invalidate()
            raise


class LocatedConnection(_Located, Connection):
    """A TCP connection to wherever the locator says."""


class LocatedSSLConnection(_Located, SSLConnection):
    """A TLS connection to wherever the locator says."""


def is_located(url: str) -> bool:
    """Whether `url` names a cluster or a Sentinel set-up rather than one server."""
    scheme = url.partition("://")[0].lower()
    return scheme.endswith(("+cluster", "+sentinel"))


def located_pool(
    url: str, key: str, pool_class: type[ConnectionPool] = ConnectionPool, **options: Any
) -> tuple[ConnectionPool, Locator | None]:
    """A connection pool for `url`; for a cluster or Sentinel URL, with the locator that
    finds the node serving `key`. `options` go to the pool and every connection (URL
    options win)."""
    if not is_located(url):
        return pool_class.from_url(url, **options), None
    spec = parse_located(url)
    locator: Locator
    if spec.kind == "cluster":
        locator = ClusterLocator(spec.nodes, key, spec.seed_options)
    else:
        locator = SentinelLocator(spec.nodes, spec.service, spec.seed_options)
    kwargs: dict[str, Any] = dict(options) | dict(spec.node_options)
    kwargs.pop("connection_class", None)
    connection_class = LocatedSSLConnection if spec.tls else LocatedConnection
    pool = pool_class(connection_class=connection_class, locator=locator, **kwargs)
    return pool, locator


@dataclass(frozen=True, slots=True)
class LocatedSpec:
    kind: str
    """"cluster" or "sentinel"."""
    nodes: list[tuple[str, int]]
    """Seed nodes of the cluster, or the sentinels."""
    service: str
    tls: bool
    node_options: dict[str, Any]
    """redis-py options of a connection to the docket's node (credentials, db, TLS...)."""
    seed_options: dict[str, Any]
    """redis-py options of a connection to a seed node or a sentinel."""


def parse_located(url: str) -> LocatedSpec:
    """Read ``redis+cluster://h:p,h:p/`` or ``redis+sentinel://[u:p@]h[:26379],h/service[/db]``
    (and their ``rediss+`` forms) with redis-py options in the query string."""
    scheme, _, rest = url.partition("://")
    base, _, kind = scheme.lower().partition("+")
    tls = base == "rediss"
    netloc, _, path_and_query = rest.partition("/")
    path, _, query = path_and_query.partition("?")
    credentials, _, hosts = netloc.rpartition("@")
    default_port = SENTINEL_PORT if kind == "sentinel" else 6379
    nodes = [_host_port(part, default_port) for part in hosts.split(",") if part]
    if not nodes:
        raise ValueError(f"a {scheme}:// URL names no host: give host:port[,host:port...].")
    pairs = parse_qsl(query, keep_blank_values=True)
    sentinel = {name: value for name, value in pairs if name in SENTINEL_OPTIONS}
    node_query = urlencode([(n, v) for n, v in pairs if n not in SENTINEL_OPTIONS])
    segments = [unquote(s) for s in path.split("/") if s]
    service, db = "", "0"
    if kind == "sentinel":
        if not segments:
            raise ValueError(
                f"a {scheme}:// URL names no service: add /service_name (and /db) to it."
            )
        service, db = segments[0], segments[1] if len(segments) > 1 else "0"
    userinfo = f"{credentials}@" if credentials else ""
    template = f"{base}://{userinfo}placeholder:1/{db}" + (f"?{node_query}" if node_query else "")
    node_options = dict(parse_url(template))
    for name in ("host", "port", "connection_class"):
        node_options.pop(name, None)
    if kind == "cluster":
        seed_options = {k: v for k, v in node_options.items() if k != "db"}
    else:
        seed_options = {k: v for k, v in node_options.items() if k.startswith("ssl")}
        if "sentinel_username" in sentinel:
            seed_options["username"] = sentinel["sentinel_username"]
        if "sentinel_password" in sentinel:
            seed_options["password"] = sentinel["sentinel_password"]
    if tls:
        seed_options["ssl"] = True
    return LocatedSpec(kind, nodes, service, tls, node_options, seed_options)


def _host_port(text: str, default_port: int) -> tuple[str, int]:
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "")
    if not host:
        host, port = text, ""
    return host.strip("[]"), int(port) if port else default_port


async def _ask(node: tuple[str, int], options: dict[str, Any], *command: Any) -> Any:
    """One command to a seed node or a sentinel, over a connection of its own."""
    settings = dict(options)
    connection_class = SSLConnection if settings.pop("ssl", False) else Connection
    connection = connection_class(
        host=node[0],
        port=node[1],
        protocol=2,
        socket_connect_timeout=DISCOVERY_TIMEOUT,
        socket_timeout=DISCOVERY_TIMEOUT,
        **settings,
    )
    try:
        await connection.connect()  # type: ignore[no-untyped-call]
        await connection.send_command(*command)
        return await connection.read_response()
    finally:
        # Closed at once, without awaiting: a look-up cancelled mid-way (its worker stopping)
        # must not leave the socket open, which would keep uvloop's loop.close() waiting.
        writer = connection._writer
        if writer is not None:
            writer.transport.abort()
        connection._writer = connection._reader = None


class _CachedLocator:
    """Remembers the node found until told it moved; asks each candidate in turn until one
    answers (`_lookup`), and says what each said when none did."""

    what = "no node could say where the docket is"

    def __init__(self) -> None:
        self.node: tuple[str, int] | None = None

    def invalidate(self) -> None:
        self.node = None

    def _candidates(self) -> list[tuple[str, int]]:
        raise NotImplementedError

    async def _lookup(self, candidate: tuple[str, int]) -> tuple[str, int] | str:
        """The node, or why this candidate could not name it."""
        raise NotImplementedError

    async def locate(self) -> tuple[str, int]:
        if self.node is not None:
            return self.node
        errors: list[str] = []
        for candidate in self._candidates():
            try:
                found = await self._lookup(candidate)
            except (RedisError, OSError) as error:
                found = str(error)
            if not isinstance(found, str):
                self.node = found
                return found
            errors.append(f"{candidate[0]}:{candidate[1]}: {found}")
        raise _unlocatable(self.what, errors)


def _address(member: Any) -> tuple[str, int]:
    """(host, port) from a reply's [host, port, ...]."""
    host = member[0].decode() if isinstance(member[0], bytes) else str(member[0])
    return host, int(member[1])


class ClusterLocator(_CachedLocator):
    """The master serving one key's hash slot, from the cluster's own slot map."""

    what = "no cluster node could say which master serves the docket"

    def __init__(self, seeds: Sequence[tuple[str, int]], key: str, options: dict[str, Any]):
        super().__init__()
        self.seeds = list(seeds)
        self.key = key
        self.options = options
        self.known: list[tuple[str, int]] = []
        """Nodes learnt from slot maps, asked before the seeds (the seeds may be gone)."""

    def _candidates(self) -> list[tuple[str, int]]:
        return list(dict.fromkeys(self.known + self.seeds))

    async def _lookup(self, candidate: tuple[str, int]) -> tuple[str, int] | str:
        slot = int(await _ask(candidate, self.options, "CLUSTER", "KEYSLOT", self.key))
        slots = await _ask(candidate, self.options, "CLUSTER", "SLOTS")
        self.known = list(dict.fromkeys(_address(m) for _s, _e, *members in slots for m in members))
        for start, end, master, *_replicas in slots:
            if int(start) <= slot <= int(end):
                return _address(master)
        return f"no master serves slot {slot}"


class SentinelLocator(_CachedLocator):
    """The master the sentinels name for one service."""

    def __init__(self, sentinels: Sequence[tuple[str, int]], service: str, options: dict[str, Any]):
        super().__init__()
        self.sentinels = list(sentinels)
        self.service = service
        self.options = options
        self.what = f"no sentinel could name the master of {service!r}"

    def _candidates(self) -> list[tuple[str, int]]:
        return self.sentinels

    async def _lookup(self, candidate: tuple[str, int]) -> tuple[str, int] | str:
        reply = await _ask(
            candidate, self.options, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.service
        )
        return _address(reply) if reply else f"knows no master {self.service!r}"


def _unlocatable(what: str, errors: list[str]) -> RedisError:
    return RedisConnectionError(f"{what} ({'; '.join(errors)})")
