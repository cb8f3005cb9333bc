"""Progress: what a running task reports of how far it got, and how readers see it.

    async def import_rows(path: str, progress: ExecutionProgress = Progress()) -> None:
        rows = load(path)
        await progress.set_total(len(rows))
        for row in rows:
            store(row)
            await progress.increment()

The task's writes only change this object; its worker sends the latest values of all its
tasks together every few tens of milliseconds (docket_worker._progress), so a tight loop of
increments costs a round trip per 50 ms at most. Readers see ``execution.progress`` after
`sync()` and progress events in `execution.subscribe()`.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Protocol, cast

from ._markers import Marker

if TYPE_CHECKING:
    from ._execution import Execution

PROGRESS_TOTAL = 100
"""The total before a task sets one (as in pydocket)."""


class ProgressSink(Protocol):
    """Where a running task's progress goes: its worker's batching writer."""

    def mark(self, progress: "ExecutionProgress") -> bool:
        """Note a change; True when a write is overdue (the task has not let the loop run)."""
        ...

    async def flush(self, progress: "ExecutionProgress | None" = None) -> None: ...


class ExecutionProgress:
    """How far an execution got: `current` of `total`, and a `message`.

    In a task (through the `Progress()` marker) the methods update it; elsewhere it is what
    the execution's record said when last read.
    """

    __slots__ = ("_owner", "_sink", "current", "key", "message", "token", "total", "updated_at")

    def __init__(
        self,
        current: int | None = None,
        total: int = PROGRESS_TOTAL,
        message: str | None = None,
        updated_at: datetime | None = None,
    ) -> None:
        self.current = current
        """How much is done; None until the task first counts."""
        self.total = total
        self.message = message
        self.updated_at = updated_at
        """When the task last reported (as its record says; None in the task itself)."""
        self.key = ""
        self.token = ""
        self._sink: ProgressSink | None = None
        self._owner: Execution | None = None
        """The execution whose record a reader's copy was read from."""

    def _update(self, latest: "ExecutionProgress") -> "ExecutionProgress":
        self.current, self.total = latest.current, latest.total
        self.message, self.updated_at = latest.message, latest.updated_at
        return self

    async def sync(self) -> None:
        """Read the execution's progress again (a reader's copy; as pydocket's)."""
        if self._owner is None:
            raise RuntimeError("this progress belongs to no execution read from a docket.")
        await self._owner.sync()

    def _bind(self, sink: ProgressSink, key: str, token: str) -> "ExecutionProgress":
        self._sink, self.key, self.token = sink, key, token
        return self

    async def _changed(self) -> None:
        sink = self._sink
        if sink is None:
            raise RuntimeError(
                "this progress is a reader's copy: only the running task reports progress, "
                "through a parameter whose default is Progress()."
            )
        if sink.mark(self):  # a loop that never yields still gets its progress out
            await sink.flush()

    async def set_total(self, total: int) -> None:
        """Set how much there is to do."""
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise ValueError(f"set_total({total!r}): pass a whole number, 0 or more.")
        self.total = total
        await self._changed()

    async def increment(self, n: int = 1, *, amount: int | None = None) -> None:
        """Count `n` more done (``amount=`` is pydocket's name for it)."""
        if amount is not None:
            n = amount
        self.current = (self.current or 0) + n
        await self._changed()

    async def set_message(self, message: str | None) -> None:
        """Say what the task is doing now."""
        self.message = message
        await self._changed()

    def __repr__(self) -> str:
        return (
            f"ExecutionProgress(current={self.current!r}, total={self.total!r}, "
            f"message={self.message!r})"
        )


class _Progress(Marker):
    __slots__ = ()


def Progress() -> ExecutionProgress:
    """The running task's progress: ``progress: ExecutionProgress = Progress()``."""
    return cast(ExecutionProgress, _Progress())
