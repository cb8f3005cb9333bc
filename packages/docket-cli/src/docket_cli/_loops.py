"""The event loop `docket worker` runs on: uvloop when it is installed, else asyncio's own.

asyncio and uvloop are imported only when a loop is made, not for `docket --help`.
"""

import enum
import importlib.util
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from ._options import fail

if TYPE_CHECKING:
    import asyncio


class EventLoop(enum.StrEnum):
    UVLOOP = "uvloop"
    ASYNCIO = "asyncio"


LoopFactory = Callable[[], "asyncio.AbstractEventLoop"]


def uvloop_available() -> bool:
    return importlib.util.find_spec("uvloop") is not None


def default_loop() -> EventLoop:
    return EventLoop.UVLOOP if uvloop_available() else EventLoop.ASYNCIO


def loop_factory(loop: EventLoop) -> LoopFactory | None:
    """How to make the chosen loop (None: asyncio's default); exit 1 if uvloop is missing."""
    if loop is EventLoop.ASYNCIO:
        return None
    try:
        import uvloop
    except ImportError:
        fail("--loop uvloop needs the uvloop package: `uv add uvloop` (docket-cli's uvloop extra).")
    return uvloop.new_event_loop


def run_on[T](factory: LoopFactory | None, main: Coroutine[Any, Any, T]) -> T:
    """Run `main` to completion on a new loop made by `factory`."""
    import asyncio

    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)
