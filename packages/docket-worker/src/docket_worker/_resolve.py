"""Dependency injection: fill each function's plan (see _plan.py) for one execution."""

import copy
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from docket import Docket, Execution, InvalidTaskError, Retry
from docket._admission import Admission
from docket._markers import (
    Marker,
    _CurrentDocket,
    _CurrentExecution,
    _CurrentWorker,
    _Depends,
    _TaskArgument,
    _TaskKey,
    _TaskLogger,
)
from docket._perpetual import Perpetual
from docket._progress import ExecutionProgress, _Progress
from docket._shared import _Shared
from docket._tasks import task_signature
from docket._timeout import Timeout

from ._plan import Plan as Plan
from ._plan import call_dependency
from ._plan import plan_for as plan_for
from ._shared import shared_value
from ._worker_dependencies import WorkerDependencies, worker_dependencies

if TYPE_CHECKING:
    from ._worker import Worker


class Resolver:
    """Fills the markers of one execution; dependencies are called once per execution."""

    def __init__(
        self,
        docket: Docket,
        worker: "Worker",
        execution: Execution,
        stack: AsyncExitStack,
    ) -> None:
        self.docket = docket
        self.worker = worker
        self.execution = execution
        self.stack = stack
        self._cache: dict[Callable[..., Any], Any] = {}
        self._arguments: dict[str, Any] | None = None
        self.retry: Retry | None = None
        """The retry policy of this run: the task's default Retry, or the one its call passed."""
        self.perpetual: Perpetual | None = None
        """This run's copy of the task's Perpetual (or Cron), once resolved."""
        self.timeout: Timeout | None = None
        """This run's copy of the task's Timeout, its deadline running, once resolved."""
        self.progress: ExecutionProgress | None = None
        """This run's progress, once a Progress() parameter asked for it."""

    async def arguments_for(self, plan: Plan) -> dict[str, Any]:
        """The task's keyword arguments plus every marker the caller did not pass itself."""
        execution = self.execution
        args, kwargs = execution.args, dict(execution.kwargs)
        if plan.retry_at is not None:
            self.retry = self._passed_retry(plan.retry_at, plan.retry)
        if self.worker.dependencies:
            await self._around(plan, worker_dependencies(self.worker), kwargs)
        for name, marker, position in plan.injected:
            if name not in kwargs and (position is None or position >= len(args)):
                kwargs[name] = await self._value(name, marker)
        return kwargs

    async def _around(self, plan: Plan, around: WorkerDependencies, kwargs: dict[str, Any]) -> None:
        """Resolve the worker's dependencies; each fills the task parameter of its name (one
        without a marker of its own) if the call did not pass it."""
        passed = len(self.execution.args)
        for name, marker in around:
            value = await self._value(name or "", marker)
            if name is None or name in kwargs or name not in plan.plain:
                continue
            position = plan.plain[name]
            if position is None or position >= passed:
                kwargs[name] = value

    def _passed_retry(self, at: tuple[str, int | None], default: Retry | None) -> Retry | None:
        """The Retry the call passed in place of the default, which then decides the retries
        (anything else passed there means none); the default when the call passed nothing."""
        name, position = at
        execution = self.execution
        if name in execution.kwargs:
            passed = execution.kwargs[name]
        elif position is not None and position < len(execution.args):
            passed = execution.args[position]
        else:
            return default
        if not isinstance(passed, Retry):
            return None
        passed.attempt = execution.attempt  # unpickled for this run alone: ours to set
        passed.clock = self.docket.now_ms
        return passed

    async def _value(self, name: str, marker: Marker) -> Any:
        execution = self.execution
        if isinstance(marker, _Depends):
            return await self._depend(marker.dependency)
        if isinstance(marker, _Shared):
            return await shared_value(self.worker, marker.factory)
        if isinstance(marker, Retry | Perpetual | Timeout):
            return self._run_state(marker)
        if isinstance(marker, _CurrentDocket | _CurrentWorker | _CurrentExecution | _TaskKey):
            return self._context(marker)
        if isinstance(marker, _TaskLogger):
            return logging.LoggerAdapter(
                logging.getLogger(f"docket.task.{execution.function_name}"),
                {
                    "docket_key": execution.key,
                    "docket_function": execution.function_name,
                    "docket_attempt": execution.attempt,
                },
            )
        if isinstance(marker, _TaskArgument):
            return self._task_argument(marker.parameter or name, marker.optional)
        if isinstance(marker, Admission):  # checked before the run: the marker is its value
            return marker
        if isinstance(marker, _Progress):
            if self.progress is None:
                self.progress = ExecutionProgress()._bind(
                    self.worker.progress, execution.key, execution.token
                )
            return self.progress
        raise InvalidTaskError(f"unknown dependency marker {marker!r} for parameter {name!r}.")

    def _context(
        self, marker: _CurrentDocket | _CurrentWorker | _CurrentExecution | _TaskKey
    ) -> Any:
        if isinstance(marker, _CurrentDocket):
            return self.docket
        if isinstance(marker, _CurrentWorker):
            return self.worker
        if isinstance(marker, _CurrentExecution):
            return self.execution
        return self.execution.key

    def _run_state(self, marker: Retry | Perpetual | Timeout) -> Any:
        """A marker that keeps state for one run: this run's own copy of it."""
        if isinstance(marker, Retry):
            retry = copy.copy(marker)
            retry.attempt = self.execution.attempt
            retry.clock = self.docket.now_ms
            return retry
        if isinstance(marker, Perpetual):
            if self.perpetual is None:
                self.perpetual = marker.for_run(self.docket.now_ms)
            return self.perpetual
        if self.timeout is None:
            self.timeout = marker.for_run()
        return self.timeout

    def _task_argument(self, name: str, optional: bool) -> Any:
        if self._arguments is None:
            function = self.execution.function
            assert function is not None
            bound = task_signature(function).bind_partial(
                *self.execution.args, **self.execution.kwargs
            )
            bound.apply_defaults()
            self._arguments = dict(bound.arguments)
        if name in self._arguments:
            return self._arguments[name]
        if optional:
            return None
        raise InvalidTaskError(
            f"TaskArgument({name!r}): the task {self.execution.function_name} was not called "
            f"with an argument {name!r}. Pass it, or use TaskArgument({name!r}, optional=True)."
        )

    async def _depend(self, dependency: Callable[..., Any]) -> Any:
        if dependency in self._cache:
            return self._cache[dependency]
        plan = plan_for(dependency, dependency=True)
        kwargs = {name: await self._value(name, marker) for name, marker, _ in plan.injected}
        result = await call_dependency(plan, kwargs, self.stack)
        self._cache[dependency] = result
        return result
