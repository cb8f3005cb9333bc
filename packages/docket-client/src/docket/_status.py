"""Status: what an Execution knows of its state, once read from its record."""

from dataclasses import dataclass, field
from datetime import datetime

from ._progress import ExecutionProgress
from ._state import ExecutionState


@dataclass(slots=True)
class Status:
    """The parts of an execution's record beyond its call (see _record.py)."""

    state: ExecutionState
    worker: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    error: str | None = None
    progress: ExecutionProgress = field(default_factory=lambda: ExecutionProgress())
    arguments_decoded: bool = True
    stored_elsewhere: bool = False
    """The result (or exception) is in the docket's result_storage, not in its record."""
    record_token: str | None = None
