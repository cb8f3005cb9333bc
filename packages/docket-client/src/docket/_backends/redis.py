"""The Redis backend: each docket operation is one script call or one command."""

from collections.abc import AsyncIterator, Sequence
from typing import Any, NamedTuple

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ResponseError

from .._keys import DocketKeys
from .._scripts import AckEntry, AckResult, HandbackEntry, ScheduleArgs, Scripts
from .._speedups import parse_stream_reply
from .._transport import Transport, out_of_memory
from ._credentials import Credentials
from ._locate import located_pool
from ._multiplex import DEFAULT_CONNECT_TIMEOUT, RESP, Multiplexer

Message = tuple[bytes, bytes | None]


class Redelivery(NamedTuple):
    """Of a message taken over from another worker: who held it, and its delivery count."""

    previous: str
    delivery: int


"""(stream message id, envelope bytes or None when the entry has no payload)."""

DEFAULT_MAX_CONNECTIONS = 8
DEFAULT_BULK_LIMIT = 512 * 1024 * 1024
"""Redis's default proto-max-bulk-len, assumed where CONFIG GET is not allowed."""
HANDBACK_IDLE_MS = 365 * 24 * 3600 * 1000
"""Idle time given to handed-back messages, so any worker's next sweep reclaims them."""


def _retry_policy() -> Retry:
    """Retry a command a few times on a lost connection (say, a stale pooled one after a
    Redis restart) before reporting the outage."""
    return Retry(ExponentialWithJitterBackoff(base=0.01, cap=0.5), retries=3)


class RedisBackend:
    """One docket's operations on a Redis server.

    Every docket operation goes over one multiplexed connection with raw replies; a small
    bounded redis-py pool serves the rest (consumer group set-up, dead letters, pub/sub).
    """

    def __init__(
        self,
        url: str,
        keys: DocketKeys,
        *,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        dedicated: bool = False,
        credentials: Credentials | None = None,
    ) -> None:
        self.url = url
        self.keys = keys
        self._dedicated = dedicated
        self.credentials = credentials
        """The docket's credential provider, when it has one (see _credentials)."""
        self.client = self._connect(max_connections)
        self.transport = self._transport()
        self.scripts = Scripts(self.transport, keys)
        self._bulk_limit: int | None = None

    def _transport(self) -> Transport:
        multiplexer = Multiplexer(
            self.url, key=self.keys.stream, identify=self._dedicated, **self._credential_options()
        )
        if self.credentials is not None:
            self.credentials.multiplexers.add(multiplexer)
        return multiplexer

    def _credential_options(self) -> dict[str, Any]:
        if self.credentials is None:
            return {}
        return {"credential_provider": self.credentials.provider}

    def _connect(self, max_connections: int) -> Redis:
        pool, _locator = located_pool(
            self.url,
            self.keys.stream,
            BlockingConnectionPool,
            max_connections=max_connections,
            timeout=None,
            retry=_retry_policy(),
            **self._credential_options(),
        )
        pool.connection_kwargs["protocol"] = RESP
        pool.connection_kwargs.setdefault("socket_connect_timeout", DEFAULT_CONNECT_TIMEOUT)
        if self.credentials is not None:
            self.credentials.pools.add(pool)
        return Redis(connection_pool=pool)

    def dedicated(self) -> "RedisBackend":
        """A backend on its own single connection, for blocking reads and subscriptions."""
        return type(self)(
            self.url, self.keys, max_connections=1, dedicated=True, credentials=self.credentials
        )

    async def unblock(self, reader: "RedisBackend") -> None:
        """End a blocking read that `reader`'s caller gave up on but the server still holds,
        so it takes no message meant for other workers."""
        transport = reader.transport
        if (
            isinstance(transport, Multiplexer)
            and transport.awaiting_reply
            and transport.client_id is not None
        ):
            await self.transport.execute("CLIENT", "UNBLOCK", transport.client_id)

    async def ping(self) -> None:
        await self.transport.execute("PING")

    async def bulk_limit(self) -> int:
        """The largest bulk string the server accepts (proto-max-bulk-len), asked once."""
        if self._bulk_limit is None:
            try:
                reply = await self.transport.execute("CONFIG", "GET", "proto-max-bulk-len")
                values = list(reply.values()) if isinstance(reply, dict) else reply[1::2]
                self._bulk_limit = int(values[0]) if values else DEFAULT_BULK_LIMIT
            except ResponseError:  # CONFIG refused (ACL, a managed service): assume default
                self._bulk_limit = DEFAULT_BULK_LIMIT
        return self._bulk_limit

    async def close(self) -> None:
        await self.transport.close()
        await self.client.aclose(close_connection_pool=True)

    # -- producer operations (docket-client) -------------------------------------------------

    replicas = True
    """Whether the server can have replicas to wait for (durability="replicated")."""

    async def schedule(
        self,
        call: ScheduleArgs,
        *,
        replace: bool,
        resend: bool = False,
        replicated: bool = False,
        running: str = "finish",
    ) -> bool:
        replicated = replicated and self.replicas
        return await self.scripts.schedule(
            call, replace=replace, resend=resend, replicated=replicated, running=running
        )

    async def add_generated(self, payload: bytes) -> str:
        """Add one due execution without a key as a plain XADD; its key, made from the
        entry's id (see docket._generated)."""
        return await self.scripts.add_generated(payload)

    async def schedule_many(
        self,
        calls: Sequence[ScheduleArgs],
        *,
        replace: bool,
        resend: bool = False,
        replicated: bool = False,
        atomic: bool = False,
    ) -> list[bool]:
        """One script per call, pipelined; `atomic`: one script for all (all or none)."""
        replicated = replicated and self.replicas
        return await self.scripts.schedule_many(
            calls, replace=replace, resend=resend, replicated=replicated, atomic=atomic
        )

    async def seed(self, call: ScheduleArgs) -> bool:
        """Start a chain under `call`'s key unless the key has any state (automatic tasks)."""
        return await self.scripts.seed(call)

    async def cancel(
        self, key: str, token: str, now_ms: int, *, running: str = "cancel", resend: bool = False
    ) -> bool:
        return await self.scripts.cancel(key, token, now_ms, running=running, resend=resend)

    async def read_execution(self, key: str, fields: Sequence[str]) -> Any:
        """The raw record of task key `key` (see execution.lua), or None."""
        return await self.scripts.read_execution(key, fields)

    async def read_field(self, key: str, field: str) -> bytes | None:
        """One field of a task key's hash (a record's stored result, say)."""
        value: Any = await self.transport.execute("HGET", self.keys.task(key), field)
        return value if isinstance(value, bytes) or value is None else str(value).encode()

    # -- consumer operations (docket-worker) -------------------------------------------------

    async def ensure_group(self) -> None:
        """Create the workers' consumer group, reading the stream from its start."""
        try:
            await self.client.xgroup_create(
                self.keys.stream, self.keys.group, id="0", mkstream=True
            )
        except ResponseError as error:
            if "BUSYGROUP" in str(error):
                return
            # At maxmemory, XGROUP CREATE is refused even when the group exists already.
            if not (out_of_memory(error) and await self._group_exists()):
                raise

    async def _group_exists(self) -> bool:
        try:
            groups: Any = await self.client.xinfo_groups(self.keys.stream)
        except ResponseError:  # no such stream
            return False
        wanted = self.keys.group.encode()
        return any(group["name"] in (wanted, self.keys.group) for group in groups)

    async def read(self, consumer: str, count: int, block_ms: int | None) -> list[Message]:
        """Read up to `count` new messages, waiting up to `block_ms` when there are none."""
        k = self.keys
        command: list[Any] = ["XREADGROUP", "GROUP", k.group, consumer, "COUNT", count]
        if block_ms is not None:
            command += ["BLOCK", block_ms]
        reply: Any = await self.transport.execute(
            *command, "STREAMS", k.stream, ">", blocking_ms=block_ms or 0
        )
        if not reply:
            return []
        streams = reply.values() if isinstance(reply, dict) else (entries for _, entries in reply)
        return parse_stream_reply(next(iter(streams)))

    async def claim_idle(
        self, consumer: str, min_idle_ms: int, cursor: bytes, count: int
    ) -> tuple[bytes, list[Message], dict[bytes, Redelivery]]:
        """Claim messages idle for `min_idle_ms` (their worker died), walking the PEL by cursor.

        Also returns, per claimed message, who held it and how often it has been delivered
        now: an XPENDING of the same range runs just before the claim, in the same write.
        """
        k = self.keys
        pending, claimed = await self.transport.execute_many(
            [
                ("XPENDING", k.stream, k.group, "IDLE", min_idle_ms, cursor, "+", count),
                ("XAUTOCLAIM", k.stream, k.group, consumer, min_idle_ms, cursor, "COUNT", count),
            ]
        )
        for reply in (pending, claimed):
            if isinstance(reply, Exception):
                raise reply
        # [[id, consumer, idle ms, times delivered]]; the claim delivers each once more.
        holders = {
            entry[0]: Redelivery(entry[1].decode(errors="replace"), int(entry[3]) + 1)
            for entry in pending
        }
        return claimed[0], parse_stream_reply(claimed[1]), holders

    async def renew(self, consumer: str, message_ids: Sequence[bytes]) -> None:
        """Reset the idle time of messages this worker still holds (its lease)."""
        if message_ids:
            k = self.keys
            await self.transport.execute(
                "XCLAIM", k.stream, k.group, consumer, 0, *message_ids, "JUSTID"
            )

    async def release(self, consumer: str, message_ids: Sequence[bytes]) -> None:
        """Hand messages back: make them look long idle, so the next sweep of any worker
        reclaims them instead of waiting out the redelivery timeout."""
        if message_ids:
            k = self.keys
            await self.transport.execute(
                "XCLAIM", k.stream, k.group, consumer, 0, *message_ids,
                "IDLE", HANDBACK_IDLE_MS, "JUSTID",
            )  # fmt: skip

    async def pending_for(self, consumer: str, after: bytes, count: int) -> list[bytes]:
        """Ids of messages pending for `consumer`, from `after` (an XPENDING range start)."""
        k = self.keys
        reply: Any = await self.transport.execute(
            "XPENDING", k.stream, k.group, after, "+", count, consumer
        )
        return [entry[0] for entry in reply]

    async def delivery_counts(self, message_ids: Sequence[bytes]) -> dict[bytes, int]:
        """How many times each pending message has been delivered."""
        k = self.keys
        replies = await self.transport.execute_many(
            [("XPENDING", k.stream, k.group, m, m, 1) for m in message_ids]
        )
        counts: dict[bytes, int] = {}
        for message_id, reply in zip(message_ids, replies, strict=True):
            if isinstance(reply, Exception):
                raise reply
            if reply:  # [[id, consumer, idle ms, times delivered]]; [] if no longer pending
                counts[message_id] = int(reply[0][3])
        return counts

    async def ack(
        self,
        entries: Sequence[AckEntry],
        now_ms: int,
        *,
        grace_ms: int,
        worker: str = "",
        resend: bool = False,
    ) -> AckResult:
        return await self.scripts.ack(
            entries, now_ms, grace_ms=grace_ms, worker=worker, resend=resend
        )

    async def write_progress(
        self, now_ms: int, updates: Sequence[tuple[str, str, str, int, str]]
    ) -> None:
        await self.scripts.write_progress(now_ms, updates)

    async def handback(self, entries: Sequence[HandbackEntry]) -> int:
        """Put a stopping worker's messages back on the stream, runnable at once by anyone."""
        return await self.scripts.handback(entries) if entries else 0

    async def move_due(self, now_ms: int, limit: int) -> tuple[int, int | None]:
        return await self.scripts.move_due(now_ms, limit)

    async def backlog(self) -> tuple[int, int]:
        """(messages in the stream, queued or running; executions parked for later)."""
        streamed, parked = await self.transport.execute_many(
            [("XLEN", self.keys.stream), ("ZCARD", self.keys.queue)]
        )
        return int(streamed), int(parked)

    # -- dead letters ---------------------------------------------------------------------------

    async def dead_letters(
        self, count: int, after: bytes | None = None
    ) -> list[tuple[bytes, dict[bytes, bytes]]]:
        """Up to `count` dead letters, oldest first (those after entry `after`, when given)."""
        start = b"(" + after if after is not None else "-"
        reply: Any = await self.client.xrange(self.keys.dead, min=start, count=count)
        return [(entry_id, dict(fields)) for entry_id, fields in reply]

    async def delete_dead_letters(self, ids: Sequence[bytes]) -> int:
        """Delete the dead letters of entry `ids`; returns how many were still there."""
        return int(await self.client.xdel(self.keys.dead, *ids)) if ids else 0

    async def requeue(
        self, dead_id: bytes, key: str, token: str, payload: bytes, *, resend: bool = False
    ) -> bool:
        return await self.scripts.requeue(dead_id, key, token, payload, resend=resend)

    async def purge_dead_letters(self) -> int:
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.xlen(self.keys.dead)
            pipe.delete(self.keys.dead)
            purged, _deleted = await pipe.execute()
        return int(purged)

    async def notices(self) -> AsyncIterator[tuple[str, bytes]]:
        """What clients publish to workers, as (channel, data): on the wake channel the due
        time (ms) of an execution that became the earliest parked one; on the cancel channel
        ``b"<token> <key>"`` of a running task to stop."""
        pubsub = self.client.pubsub()
        try:
            await pubsub.subscribe(self.keys.wake, self.keys.cancel)
            async for message in pubsub.listen():
                if message["type"] == "message":
                    channel = message["channel"]
                    yield (
                        (channel.decode() if isinstance(channel, bytes) else channel),
                        message["data"],
                    )
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
