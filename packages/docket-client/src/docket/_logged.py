"""Logged: the task arguments that the worker's start and finish lines may show."""

from typing import Any


class Logged:
    """Mark a task parameter as safe to log: ``customer_id: Annotated[int, Logged]``.

    The worker's "started" and "finished" lines show each argument of a call as ``...``
    unless its parameter is Logged, so secrets in arguments stay out of logs by default.
    ``Logged(length_only=True)`` shows only the argument's length (``[len 3]``). Bare
    ``Logged`` and ``Logged()`` mean the same.
    """

    __slots__ = ("length_only",)

    def __init__(self, length_only: bool = False) -> None:
        self.length_only = length_only

    def format(self, argument: Any) -> str:
        """How the argument appears in the log: its repr, or its length."""
        if self.length_only and hasattr(argument, "__len__"):
            if isinstance(argument, dict | set | frozenset):
                return f"{{len {len(argument)}}}"
            if isinstance(argument, tuple):
                return f"(len {len(argument)})"
            return f"[len {len(argument)}]"
        return repr(argument)

    def __repr__(self) -> str:
        return "Logged(length_only=True)" if self.length_only else "Logged()"
