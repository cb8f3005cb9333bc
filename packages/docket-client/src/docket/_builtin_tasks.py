"""The built-in tasks every docket knows: `trace`, `fail` and `sleep`, as in pydocket.

They are smoke tests of a deployment: schedule one (``docket tasks trace "hello"``, or
``docket.add("trace")("hello")``) and watch a worker run it. Every `Docket` registers them,
so any worker knows them; a task of your own with one of these names replaces it.
"""

import asyncio
from logging import Logger, LoggerAdapter
from typing import TYPE_CHECKING

from ._execution import TaskFunction
from ._markers import CurrentDocket, CurrentExecution, CurrentWorker, TaskLogger
from ._retry import Retry
from ._time import now_ms

if TYPE_CHECKING:
    from docket_worker import Worker

    from ._docket import Docket
    from ._execution import Execution


# The markers, as module-level defaults (each is stateless, or copied for every run).
_LOGGER = TaskLogger()
_DOCKET = CurrentDocket()
_WORKER = CurrentWorker()
_EXECUTION = CurrentExecution()
_TWO_ATTEMPTS = Retry(attempts=2)


def _age(execution: "Execution") -> str:
    """How long ago the execution was due, in seconds."""
    return f"{max(now_ms() - execution.when_ms, 0) / 1000:.3f}s"


async def trace(
    message: str,
    logger: "LoggerAdapter[Logger]" = _LOGGER,
    docket: "Docket" = _DOCKET,
    worker: "Worker" = _WORKER,
    execution: "Execution" = _EXECUTION,
) -> None:
    """Log `message` at INFO (logger ``docket.task.trace``), with the task's key, its docket,
    how long ago it was due and the worker running it."""
    logger.info(
        "%s: %r added to docket %r %s ago now running on worker %r",
        message,
        execution.key,
        docket.name,
        _age(execution),
        worker.name,
    )


async def fail(
    message: str,
    docket: "Docket" = _DOCKET,
    worker: "Worker" = _WORKER,
    execution: "Execution" = _EXECUTION,
    retry: Retry = _TWO_ATTEMPTS,
) -> None:
    """Raise an exception carrying `message`; tried twice in all (``Retry(attempts=2)``)."""
    raise Exception(
        f"{message}: {execution.key} added to docket {docket.name} {_age(execution)} ago "
        f"now running on worker {worker.name}"
    )


async def sleep(seconds: float, logger: "LoggerAdapter[Logger]" = _LOGGER) -> None:
    """Sleep for `seconds`, holding one of the worker's slots."""
    logger.info("Sleeping for %s seconds", seconds)
    await asyncio.sleep(seconds)


standard_tasks: list[TaskFunction] = [trace, fail, sleep]
"""The built-in tasks, as a task collection (``--tasks docket.tasks:standard_tasks``)."""


def builtin_tasks() -> dict[str, TaskFunction]:
    """A new registry holding the built-in tasks by name: where every Docket starts."""
    return {function.__name__: function for function in standard_tasks}


def is_builtin_task(function: object) -> bool:
    """Whether `function` is one of the built-in tasks."""
    return any(function is builtin for builtin in standard_tasks)
