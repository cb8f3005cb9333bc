"""Shared values: each factory called once per worker, its value kept until the worker exits.

The first tasks to ask for a value wait on one lock per factory, so the factory runs once
however many ask at the same time. The context managers the values came from are exited, in
reverse order, when the worker closes (`close_shared`, from ``Worker.__aexit__``).
"""

import asyncio
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary, WeakSet

from docket import InvalidTaskError
from docket._markers import Marker, _CurrentDocket, _CurrentWorker, _Depends
from docket._shared import _Shared

from ._plan import call_dependency, plan_for

if TYPE_CHECKING:
    from ._worker import Worker

Factory = Callable[..., Any]


class SharedScope:
    """The Shared values of one worker."""

    def __init__(self, worker: "Worker") -> None:
        self.worker = worker
        self._values: dict[Factory, Any] = {}
        self._locks: dict[Factory, asyncio.Lock] = {}
        self._stack = AsyncExitStack()

    async def value(self, factory: Factory) -> Any:
        """The value of `factory`, made on first use."""
        try:
            return self._values[factory]
        except KeyError:
            pass
        check_shared_factory(factory)
        lock = self._locks.get(factory)
        if lock is None:
            lock = self._locks[factory] = asyncio.Lock()
        async with lock:
            if factory not in self._values:
                async with AsyncExitStack() as stack:  # unwound if the factory fails
                    value = await self._make(factory, stack, {})
                    self._stack.push_async_exit(stack.pop_all())
                self._values[factory] = value
        return self._values[factory]

    async def _make(
        self, function: Factory, stack: AsyncExitStack, made: dict[Factory, Any]
    ) -> Any:
        """Call `function` (a Shared factory or a Depends within one) with its markers."""
        if function in made:
            return made[function]
        plan = plan_for(function, dependency=True)
        kwargs = {name: await self._fill(marker, stack, made) for name, marker, _ in plan.injected}
        made[function] = value = await call_dependency(plan, kwargs, stack)
        return value

    async def _fill(self, marker: Marker, stack: AsyncExitStack, made: dict[Factory, Any]) -> Any:
        if isinstance(marker, _Shared):
            return await self.value(marker.factory)
        if isinstance(marker, _Depends):
            return await self._make(marker.dependency, stack, made)
        if isinstance(marker, _CurrentWorker):
            return self.worker
        assert isinstance(marker, _CurrentDocket)  # check_shared_factory allows nothing else
        return self.worker.docket

    async def close(self) -> None:
        """Exit the values' context managers, the last made first."""
        self._values.clear()
        await self._stack.aclose()


_scopes: "WeakKeyDictionary[Worker, SharedScope]" = WeakKeyDictionary()


async def shared_value(worker: "Worker", factory: Factory) -> Any:
    """The value of `Shared(factory)` on `worker` (shard workers share their root's)."""
    worker = worker.root
    scope = _scopes.get(worker)
    if scope is None:
        scope = _scopes[worker] = SharedScope(worker)
    return await scope.value(factory)


async def close_shared(worker: "Worker") -> None:
    """Tear down the Shared values of `worker` (at its exit); a new use makes them again."""
    scope = _scopes.pop(worker, None)
    if scope is not None:
        await scope.close()


_checked: "WeakSet[Factory]" = WeakSet()


def check_shared_factory(factory: Factory) -> None:
    """Refuse a Shared factory that asks for something of one task run, or needs itself."""
    if factory not in _checked:
        _check(factory, factory, ())
        _checked.add(factory)


def _check(root: Factory, function: Factory, chain: tuple[Factory, ...]) -> None:
    chain = (*chain, function)
    for name, marker, _ in plan_for(function, dependency=True).injected:
        inner = _inner(marker)
        if inner is None:
            if not isinstance(marker, _CurrentDocket | _CurrentWorker):
                raise InvalidTaskError(
                    f"Shared({_name(root)}): {_name(function)}'s parameter {name!r} asks for "
                    f"{marker!r}, which belongs to one task run, but a Shared value is made "
                    "once per worker for all its tasks. A Shared factory may ask for "
                    "CurrentDocket(), CurrentWorker(), Shared(...) and Depends(...) of these; "
                    "take the rest in the task, or in a Depends(...) of the task."
                )
        elif inner in chain:
            cycle = " -> ".join(_name(f) for f in (*chain[chain.index(inner) :], inner))
            raise InvalidTaskError(
                f"Shared({_name(root)}) depends on itself ({cycle}): break the cycle."
            )
        else:
            _check(root, inner, chain)


def _inner(marker: Marker) -> Factory | None:
    if isinstance(marker, _Shared):
        return marker.factory
    if isinstance(marker, _Depends):
        return marker.dependency
    return None


def _name(function: Factory) -> str:
    return str(getattr(function, "__qualname__", function))
