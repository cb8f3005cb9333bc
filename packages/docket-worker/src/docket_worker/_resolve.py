"""Dependency injection: analyse each function's signature once into a plan, fill it per call."""

import copy
import inspect
import logging
from collections.abc import Callable
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    AsyncExitStack,
    asynccontextmanager,
    contextmanager,
)
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from docket import Docket, Execution, InvalidTaskError, Retry
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
from docket._tasks import task_signature
from docket._timeout import Timeout

if TYPE_CHECKING:
    from ._worker import Worker


@dataclass(frozen=True, slots=True)
class Plan:
    """What a function's parameters need: markers to fill in, by parameter name."""

    injected: tuple[tuple[str, Marker, int | None], ...]
    """(parameter, marker, position among the positional parameters or None) per marker."""
    retry: Retry | None
    retry_at: tuple[str, int | None] | None
    """Where a call may pass its own Retry in place of the default: (parameter, position)."""
    call: Callable[..., Any]
    """What to call: the function, or for a generator dependency its context manager."""
    perpetual: Perpetual | None = None
    timeout: Timeout | None = None


_plans: "WeakKeyDictionary[Callable[..., Any], Plan]" = WeakKeyDictionary()


def plan_for(function: Callable[..., Any], *, dependency: bool = False) -> Plan:
    """The plan of a function, analysed on first use and cached."""
    plan = _plans.get(function)
    if plan is None:
        plan = _plans[function] = _analyse(function, dependency)
    return plan


def _analyse(function: Callable[..., Any], dependency: bool) -> Plan:
    positions = 0
    injected: list[tuple[str, Marker, int | None]] = []
    retry: Retry | None = None
    retry_at: tuple[str, int | None] | None = None
    perpetual: Perpetual | None = None
    timeout: Timeout | None = None
    for parameter in inspect.signature(function).parameters.values():
        position = None
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            position = positions
            positions += 1
        default = parameter.default
        if isinstance(default, Marker):
            injected.append((parameter.name, default, position))
            if isinstance(default, Retry):
                retry, retry_at = default, (parameter.name, position)
            elif isinstance(default, Perpetual):
                perpetual = default
            elif isinstance(default, Timeout):
                timeout = default
            elif isinstance(default, _Depends):
                plan_for(default.dependency, dependency=True)
        elif (
            dependency
            and default is parameter.empty
            and parameter.kind
            not in (
                parameter.VAR_POSITIONAL,
                parameter.VAR_KEYWORD,
            )
        ):
            raise InvalidTaskError(
                f"dependency {getattr(function, '__qualname__', function)} has a parameter "
                f"{parameter.name!r} without a default: give it a marker such as TaskArgument(), "
                "Depends(...) or CurrentDocket()."
            )
    return Plan(tuple(injected), retry, retry_at, _as_context_manager(function), perpetual, timeout)


def _as_context_manager(function: Callable[..., Any]) -> Callable[..., Any]:
    """Let generator dependencies (FastAPI style, with ``yield``) work as context managers."""
    if inspect.isasyncgenfunction(function):
        return asynccontextmanager(function)
    if inspect.isgeneratorfunction(function):
        return contextmanager(function)
    return function


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

    async def arguments_for(self, plan: Plan) -> dict[str, Any]:
        """The task's keyword arguments plus every marker the caller did not pass itself."""
        execution = self.execution
        args, kwargs = execution.args, dict(execution.kwargs)
        if plan.retry_at is not None:
            self.retry = self._passed_retry(plan.retry_at, plan.retry)
        for name, marker, position in plan.injected:
            if name not in kwargs and (position is None or position >= len(args)):
                kwargs[name] = await self._value(name, marker)
        return kwargs

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
        return passed

    async def _value(self, name: str, marker: Marker) -> Any:
        execution = self.execution
        if isinstance(marker, _Depends):
            return await self._depend(marker.dependency)
        if isinstance(marker, Retry | Perpetual | Timeout):
            return self._run_state(marker)
        if isinstance(marker, _CurrentDocket):
            return self.docket
        if isinstance(marker, _CurrentWorker):
            return self.worker
        if isinstance(marker, _CurrentExecution):
            return execution
        if isinstance(marker, _TaskKey):
            return execution.key
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
        raise InvalidTaskError(f"unknown dependency marker {marker!r} for parameter {name!r}.")

    def _run_state(self, marker: Retry | Perpetual | Timeout) -> Any:
        """A marker that keeps state for one run: this run's own copy of it."""
        if isinstance(marker, Retry):
            retry = copy.copy(marker)
            retry.attempt = self.execution.attempt
            return retry
        if isinstance(marker, Perpetual):
            if self.perpetual is None:
                self.perpetual = marker.for_run()
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
        result = plan.call(**kwargs)
        if inspect.isawaitable(result):
            result = await result
        if isinstance(result, AbstractAsyncContextManager):
            result = await self.stack.enter_async_context(result)
        elif isinstance(result, AbstractContextManager):
            result = self.stack.enter_context(result)
        self._cache[dependency] = result
        return result
