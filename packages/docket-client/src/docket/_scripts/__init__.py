"""Typed wrappers of the Lua scripts beside this module: one script call per docket operation.

Each wrapper is named after its ``.lua`` file. redis-py's Script objects run ``EVALSHA`` and
reload the script when the server answers NOSCRIPT (after a restart or SCRIPT FLUSH).
"""

from collections.abc import Sequence
from importlib.resources import files
from typing import Any

from redis.asyncio import Redis

from .._keys import DocketKeys

AckEntry = tuple[str, bytes, str, str, bytes | str, int]
"""(op, message id, key, token, data, when_ms); op is 'a' ack, 'r' retry or 'x' dead-letter."""


def _source(name: str, *, prelude: bool = False) -> str:
    """A script's source; with `prelude`, after the shared helpers of prelude.lua."""
    folder = files(__name__)
    source = folder.joinpath(name).read_text(encoding="utf-8")
    if prelude:
        source = folder.joinpath("prelude.lua").read_text(encoding="utf-8") + "\n" + source
    return source


class Scripts:
    """The docket scripts registered on one Redis client."""

    def __init__(self, client: Redis, keys: DocketKeys) -> None:
        self._keys = keys
        self._schedule = client.register_script(_source("schedule.lua", prelude=True))
        self._cancel = client.register_script(_source("cancel.lua", prelude=True))
        self._requeue = client.register_script(_source("requeue.lua", prelude=True))
        self._move_due = client.register_script(_source("move_due.lua"))
        self._ack = client.register_script(_source("ack.lua", prelude=True))

    async def schedule(
        self,
        key: str,
        token: str,
        when_ms: int,
        payload: bytes,
        *,
        immediate: bool,
        replace: bool,
    ) -> bool:
        k = self._keys
        scheduled = await self._schedule(
            keys=[k.stream, k.queue, k.task(key)],
            args=[
                "1" if replace else "0",
                key,
                token,
                when_ms,
                payload,
                "1" if immediate else "0",
                k.group,
                k.wake,
            ],
        )
        return bool(scheduled)

    async def cancel(self, key: str) -> bool:
        k = self._keys
        cancelled = await self._cancel(keys=[k.stream, k.queue, k.task(key)], args=[key, k.group])
        return bool(cancelled)

    async def requeue(self, dead_id: bytes, key: str, token: str, payload: bytes) -> bool:
        k = self._keys
        requeued = await self._requeue(
            keys=[k.stream, k.dead, k.task(key)], args=[dead_id, key, token, payload, k.group]
        )
        return bool(requeued)

    async def move_due(self, now_ms: int, limit: int) -> tuple[int, int | None]:
        k = self._keys
        moved, head = await self._move_due(
            keys=[k.stream, k.queue], args=[now_ms, limit, k.task_prefix]
        )
        return int(moved), (int(float(head)) if head is not None else None)

    async def ack(self, entries: Sequence[AckEntry], now_ms: int) -> list[str]:
        k = self._keys
        args: list[Any] = [k.group, k.task_prefix, now_ms, k.wake]
        for entry in entries:
            args.extend(entry)
        skipped = await self._ack(keys=[k.stream, k.queue, k.dead], args=args)
        return [s.decode() if isinstance(s, bytes) else str(s) for s in skipped]
