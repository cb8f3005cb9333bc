"""ShardView: one shard of a sharded docket, as the workers of that shard see it.

A view is a Docket whose backend and keys are those of one shard (``{name:i}``), so the
worker machinery written for one stream (fetch, acks, leases, scheduler, hand-back) runs on
it unchanged. Everything a task or a caller can ask of a docket goes to the whole docket
instead: an add from inside a task lands on the shard of its key, not on the view's.
"""

import copy
from collections.abc import Callable, Collection, Iterable
from datetime import datetime
from typing import Any

from ._calls import Call
from ._dead import DeadLetter
from ._docket import Docket
from ._docket_options import Running
from ._docket_snapshot import DEFAULT_LIMIT, DocketSnapshot
from ._events import Events
from ._execution import Execution
from ._strikes import Operator, Strike
from ._workers import WorkerInfo


class ShardView(Docket):
    """Shard `shard_index` of `parent` (see the module's docstring)."""

    parent: Docket
    shard_index: int

    def now_ms(self) -> int:
        return self.parent.now_ms()

    def _events(self, key: str) -> Events:
        return self.parent._events(key)

    def add(self, function: Any, when: datetime | None = None, key: str | None = None) -> Any:
        return self.parent.add(function, when, key)

    def replace(self, function: Any, when: datetime, key: str, running: Running = "finish") -> Any:
        return self.parent.replace(function, when, key, running)

    def call(self, function: Any, when: datetime | None = None, key: str | None = None) -> Any:
        return self.parent.call(function, when, key)

    async def add_many(
        self, calls: Iterable[Call], chunk_size: int = 1000, *, atomic: bool = False
    ) -> list[Execution]:
        return await self.parent.add_many(calls, chunk_size, atomic=atomic)

    async def replace_many(
        self, calls: Iterable[Call], chunk_size: int = 1000, *, atomic: bool = False
    ) -> list[Execution]:
        return await self.parent.replace_many(calls, chunk_size, atomic=atomic)

    async def cancel(self, key: str, running: Running = "cancel") -> bool:
        return await self.parent.cancel(key, running)

    async def strike(
        self,
        function: Callable[..., Any] | str | None = None,
        parameter: str | None = None,
        operator: Operator = "==",
        value: Any = None,
    ) -> Strike:
        return await self.parent.strike(function, parameter, operator, value)

    async def restore(
        self,
        function: Callable[..., Any] | str | None = None,
        parameter: str | None = None,
        operator: Operator = "==",
        value: Any = None,
    ) -> int:
        return await self.parent.restore(function, parameter, operator, value)

    async def get_execution(self, key: str) -> Execution | None:
        return await self.parent.get_execution(key)

    async def workers(self) -> Collection[WorkerInfo]:
        return await self.parent.workers()

    async def task_workers(self, task_name: str) -> Collection[WorkerInfo]:
        return await self.parent.task_workers(task_name)

    async def snapshot(self, limit: int = DEFAULT_LIMIT) -> DocketSnapshot:
        return await self.parent.snapshot(limit)

    async def clear(self) -> int:
        return await self.parent.clear()

    async def dead_letters(self, limit: int = 1000) -> list[DeadLetter]:
        return await self.parent.dead_letters(limit)

    async def requeue_dead_letters(self, key: str | None = None) -> int:
        return await self.parent.requeue_dead_letters(key)

    async def purge_dead_letters(self, key: str | None = None) -> int:
        return await self.parent.purge_dead_letters(key)

    def __repr__(self) -> str:
        return f"{self.parent!r}.shard({self.shard_index})"


def shard_views(docket: Docket) -> list[Docket]:
    """The views of every shard of `docket`, sharing its tasks, strikes and options; each
    gets its backend when the docket opens (see _sharding.open_views)."""
    views: list[Docket] = []
    for index in range(docket.shards):
        view = copy.copy(docket)
        view.__class__ = ShardView
        assert isinstance(view, ShardView)
        view.parent, view.shard_index = docket, index
        view.keys = docket.keys.shard(index)
        view._views = []
        views.append(view)
    return views
