"""Signature analysis: each function's parameters, analysed once into a plan (see _resolve.py).

A marker is a parameter's default or, the same, the marker of its ``Annotated[T, marker]``
(docket._tasks.task_signature reads those).
"""

import contextlib
import inspect
from collections.abc import Callable, Mapping
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    AsyncExitStack,
    asynccontextmanager,
    contextmanager,
)
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from docket import InvalidTaskError, Retry
from docket._admission import Admission
from docket._annotations import annotated_metadata
from docket._markers import Marker, _Depends
from docket._perpetual import Perpetual
from docket._tasks import task_signature
from docket._timeout import Timeout

from ._admission import Rule
from ._logged import LoggedParameters, logged_parameters

Injected = tuple[str, Marker, int | None]


@dataclass(frozen=True, slots=True)
class Plan:
    """What a function's parameters need: markers to fill in, by parameter name."""

    injected: tuple[Injected, ...]
    """(parameter, marker, position among the positional parameters or None) per marker."""
    retry: Retry | None
    retry_at: tuple[str, int | None] | None
    """Where a call may pass its own Retry in place of the default: (parameter, position)."""
    call: Callable[..., Any]
    """What to call: the function, or for a generator dependency its context manager."""
    perpetual: Perpetual | None = None
    timeout: Timeout | None = None
    plain: Mapping[str, int | None] = field(default_factory=dict)
    """The named parameters without a marker: their position, or None (keyword-only); a
    worker's dependency of the same name fills one the call did not pass."""
    logged: LoggedParameters | None = None
    """The parameters annotated Logged, or None when there are none."""
    admission: tuple[Rule, ...] = ()
    """The admission markers (ConcurrencyLimit, RateLimit, Debounce, Cooldown), checked
    before each run (see _admission.py)."""


_plans: "WeakKeyDictionary[Callable[..., Any], Plan]" = WeakKeyDictionary()


def plan_for(function: Callable[..., Any], *, dependency: bool = False) -> Plan:
    """The plan of a function, analysed on first use and cached."""
    plan = _plans.get(function)
    if plan is None:
        plan = _plans[function] = _analyse(function, dependency)
    return plan


def _analyse(function: Callable[..., Any], dependency: bool) -> Plan:
    signature = task_signature(function)
    injected: list[Injected] = []
    plain: dict[str, int | None] = {}
    for parameter, position in _named_parameters(signature):
        default = parameter.default
        if isinstance(default, Marker):
            injected.append((parameter.name, default, position))
            if isinstance(default, _Depends):
                # Analysed ahead; a mistake in it fails the run that resolves it (inside the
                # run's error handling) rather than the analysis of this function.
                with contextlib.suppress(InvalidTaskError):
                    plan_for(default.dependency, dependency=True)
        elif dependency and default is parameter.empty:
            raise InvalidTaskError(
                f"dependency {getattr(function, '__qualname__', function)} has a parameter "
                f"{parameter.name!r} without a default: give it a marker such as TaskArgument(), "
                "Depends(...) or CurrentDocket()."
            )
        else:
            plain[parameter.name] = position
    retry = _first(injected, Retry)
    return Plan(
        tuple(injected),
        None if retry is None else retry[1],
        None if retry is None else (retry[0], retry[2]),
        _as_context_manager(function),
        _marker(_first(injected, Perpetual)),
        _marker(_first(injected, Timeout)),
        plain,
        logged_parameters(function, signature),
        () if dependency else _admission_rules(function, signature, injected),
    )


def _admission_rules(
    function: Callable[..., Any], signature: inspect.Signature, injected: list[Injected]
) -> tuple[Rule, ...]:
    """Each admission marker with the argument it limits: the one it names, the parameter it
    annotates (``Annotated[int, ConcurrencyLimit(2)]``), or none (the task as a whole)."""
    positions = {parameter.name: position for parameter, position in _named_parameters(signature)}
    annotated = annotated_metadata(function, inspect.signature(function))
    rules: list[Rule] = []
    for name, marker, _position in injected:
        if not isinstance(marker, Admission):
            continue
        argument = marker.argument_name
        if argument is None and any(item is marker for item in annotated.get(name, ())):
            argument = name
        if argument is not None and argument not in positions:
            raise InvalidTaskError(
                f"{getattr(function, '__qualname__', function)}: {marker!r} limits the "
                f"argument {argument!r}, which the task does not take. Name one of its "
                "parameters."
            )
        rules.append(Rule(marker, argument, None if argument is None else positions[argument]))
    return tuple(rules)


def _named_parameters(
    signature: inspect.Signature,
) -> list[tuple[inspect.Parameter, int | None]]:
    """Each parameter but ``*args`` and ``**kwargs``, with its position among the positional
    parameters (None for keyword-only ones)."""
    named: list[tuple[inspect.Parameter, int | None]] = []
    positions = 0
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        position = None
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            position, positions = positions, positions + 1
        named.append((parameter, position))
    return named


def _first[M: Marker](injected: list[Injected], kind: type[M]) -> tuple[str, M, int | None] | None:
    for name, marker, position in injected:
        if isinstance(marker, kind):
            return name, marker, position
    return None


def _marker[M: Marker](found: tuple[str, M, int | None] | None) -> M | None:
    return None if found is None else found[1]


def _as_context_manager(function: Callable[..., Any]) -> Callable[..., Any]:
    """Let generator dependencies (FastAPI style, with ``yield``) work as context managers."""
    if inspect.isasyncgenfunction(function):
        return asynccontextmanager(function)
    if inspect.isgeneratorfunction(function):
        return contextmanager(function)
    return function


async def call_dependency(plan: Plan, kwargs: dict[str, Any], stack: AsyncExitStack) -> Any:
    """Call a dependency (or Shared factory) and give its value: awaited if it returned an
    awaitable, entered on `stack` if it returned a context manager."""
    result = plan.call(**kwargs)
    if inspect.isawaitable(result):
        result = await result
    if isinstance(result, AbstractAsyncContextManager):
        return await stack.enter_async_context(result)
    if isinstance(result, AbstractContextManager):
        return stack.enter_context(result)
    return result
