"""The operations side of a Docket: its workers, a snapshot, clear, and dead letters (each
summed over the shards of a sharded docket, see _sharding)."""

from collections.abc import Collection
from typing import TYPE_CHECKING, cast

from . import _sharding as sharding
from ._clear import clear as clear_docket
from ._dead import DeadLetter, list_dead_letters, purge_dead_letters, requeue_dead_letters
from ._docket_snapshot import DEFAULT_LIMIT, DocketSnapshot, take_snapshot
from ._workers import WorkerInfo, read_task_workers, read_workers

if TYPE_CHECKING:
    from ._docket import Docket


class DocketOperations:
    """What operators ask of a docket (mixed into Docket)."""

    @property
    def _docket(self) -> "Docket":
        return cast("Docket", self)

    async def workers(self) -> Collection[WorkerInfo]:
        """The live workers of this docket (their heartbeat has not expired), by name."""
        return await read_workers(self._docket)

    async def task_workers(self, task_name: str) -> Collection[WorkerInfo]:
        """The live workers that can run the task named `task_name`."""
        return await read_task_workers(self._docket, task_name)

    async def snapshot(self, limit: int = DEFAULT_LIMIT) -> DocketSnapshot:
        """Counts of all queued, scheduled and running work, and up to `limit` of each kind."""
        if self._docket._views:
            return await sharding.snapshot(self._docket, limit)
        return await take_snapshot(self._docket, limit)

    async def clear(self) -> int:
        """Remove every queued, scheduled and held execution (not running ones); how many."""
        if self._docket._views:
            return await sharding.clear_all(self._docket)
        return await clear_docket(self._docket)

    # -- dead letters ----------------------------------------------------------------------------

    async def dead_letters(self, limit: int = 1000) -> list[DeadLetter]:
        """Messages no worker could run, oldest first, with the reason for each."""
        if self._docket._views:
            return await sharding.dead_letters(self._docket, limit)
        return await list_dead_letters(self._docket.backend, limit)

    async def requeue_dead_letters(self, key: str | None = None) -> int:
        """Put dead letters back on the docket (all, or only those of `key`); how many. A letter
        whose key has a pending execution again is left where it is."""
        if self._docket._views:
            return await sharding.requeue(self._docket, key)
        return await requeue_dead_letters(self._docket.backend, key)

    async def purge_dead_letters(self, key: str | None = None) -> int:
        """Delete dead letters for good (all, or only those of `key`); how many."""
        if self._docket._views:
            return await sharding.purge(self._docket, key)
        return await purge_dead_letters(self._docket.backend, key)
