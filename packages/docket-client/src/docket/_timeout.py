"""Timeout: a deadline for one run of a task, which the task may push back."""

import asyncio
from datetime import timedelta
from typing import Self

from ._markers import Marker


class Timeout(Marker):
    """Cancel the task if a run lasts longer than `base`; the run then fails with
    TimeoutError, which the task's Retry may retry.

    Inside the task, `extend()` pushes the deadline back and `remaining()` says how long is
    left. The worker renews the message's lease all the while, so a Timeout longer than the
    worker's redelivery_timeout is fine.
    """

    __slots__ = ("base", "deadline")

    def __init__(self, base: timedelta) -> None:
        if base <= timedelta(0):
            raise ValueError(f"Timeout({base!r}) must be positive.")
        self.base = base
        self.deadline = 0.0
        """The deadline of this run, on the event loop's clock (set when the run starts)."""

    def for_run(self) -> Self:
        """A copy for one run, its deadline `base` from now."""
        run = type(self)(self.base)
        run.deadline = asyncio.get_running_loop().time() + self.base.total_seconds()
        return run

    def remaining(self) -> timedelta:
        """How long this run has left before it is cancelled."""
        left = self.deadline - asyncio.get_running_loop().time()
        return timedelta(seconds=max(left, 0.0))

    def extend(self, by: timedelta | None = None) -> None:
        """Push the deadline back by `by` (default: by `base` again)."""
        self.deadline += (self.base if by is None else by).total_seconds()

    def __repr__(self) -> str:
        return f"Timeout({self.base!r})"
