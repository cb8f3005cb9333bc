"""Stopping running tasks on request: `docket.cancel`, or a replace with running="cancel"."""

import asyncio
import time

EARLY_MEMORY = 10.0
"""Seconds a notice for a task not running here is remembered: the worker may have just
read its message, and must not start it after the notice went by."""


class CancelRequests:
    """The running tasks of a worker by token, and the cancel notices addressed to them."""

    def __init__(self) -> None:
        self.running: dict[str, asyncio.Task[None]] = {}
        self.requested: set[str] = set()
        """Tokens whose task this worker cancelled on request (not for a shutdown)."""
        self.early: dict[str, float] = {}
        """Tokens of notices that came while no task of theirs ran here, until when to keep."""

    def track(self, token: str, task: asyncio.Task[None]) -> None:
        self.running[token] = task

    def untrack(self, token: str, task: asyncio.Task[None]) -> None:
        if self.running.get(token) is task:
            del self.running[token]
        self.requested.discard(token)

    def request(self, token: str) -> None:
        """A notice named `token`: cancel its task if it runs here, else remember it."""
        task = self.running.get(token)
        if task is not None:
            self.requested.add(token)
            task.cancel()
            return
        now = time.monotonic()
        self.early = {t: until for t, until in self.early.items() if until > now}
        self.early[token] = now + EARLY_MEMORY

    def discard_request(self, token: str) -> bool:
        """Whether this worker cancelled the task of `token` on request (forgotten then)."""
        if token in self.requested:
            self.requested.discard(token)
            return True
        return False

    def came_early(self, token: str) -> bool:
        """Whether a notice named `token` came before its message could start here."""
        return self.early.pop(token, 0.0) > time.monotonic()
