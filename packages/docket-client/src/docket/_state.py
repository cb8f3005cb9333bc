"""ExecutionState: where an execution is in its life, as `get_execution` and `sync` report it."""

import enum


class ExecutionState(enum.Enum):
    """``SCHEDULED → QUEUED → RUNNING → COMPLETED | FAILED | CANCELLED``; a retry goes back to
    SCHEDULED (or QUEUED, when due at once) with the next attempt."""

    SCHEDULED = "scheduled"
    """Parked until its `when`."""
    QUEUED = "queued"
    """Due, waiting for a worker to take it."""
    RUNNING = "running"
    """A worker is running it."""
    COMPLETED = "completed"
    """It ran to its end (its result, if not None, is kept for the docket's execution_ttl)."""
    FAILED = "failed"
    """Its last attempt raised (the exception is kept), or it was dead-lettered."""
    CANCELLED = "cancelled"
    """`docket.cancel` removed it, or stopped it while it ran."""

    @property
    def finished(self) -> bool:
        """Whether the execution is over: completed, failed or cancelled."""
        return self in FINISHED


FINISHED = frozenset({ExecutionState.COMPLETED, ExecutionState.FAILED, ExecutionState.CANCELLED})
