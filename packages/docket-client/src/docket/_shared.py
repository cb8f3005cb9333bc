"""Shared: a value made once per worker and given to every task of that worker."""

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import Any, overload

from ._markers import Marker


class _Shared(Marker):
    __slots__ = ("factory",)

    def __init__(self, factory: Callable[..., Any]) -> None:
        if not callable(factory):
            raise TypeError(f"Shared() takes a function, not {factory!r}.")
        self.factory = factory

    def __repr__(self) -> str:
        return f"Shared({getattr(self.factory, '__qualname__', self.factory)!r})"


@overload
def Shared[R](factory: Callable[..., AbstractAsyncContextManager[R]]) -> R: ...
@overload
def Shared[R](factory: Callable[..., AbstractContextManager[R]]) -> R: ...
@overload
def Shared[R](factory: Callable[..., AsyncIterator[R]]) -> R: ...
@overload
def Shared[R](factory: Callable[..., Iterator[R]]) -> R: ...
@overload
def Shared[R](factory: Callable[..., Awaitable[R]]) -> R: ...
@overload
def Shared[R](factory: Callable[..., R]) -> R: ...
def Shared(factory: Callable[..., Any]) -> Any:
    """The value of `factory`, made once per worker, on first use, and given to every task of
    that worker that asks for it (the same factory, the same object).

    `factory` may be a sync or async function, return a sync or async context manager, or be
    a generator with one `yield`; context managers stay open until the worker exits, and are
    then exited in reverse order. Its own parameters may ask for CurrentDocket(),
    CurrentWorker(), other Shared(...) values and Depends(...) functions that ask for no
    more than these: nothing of one task (TaskArgument(), TaskKey(), ...).
    """
    return _Shared(factory)
