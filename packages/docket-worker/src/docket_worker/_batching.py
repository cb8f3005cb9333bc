"""Coalescing: calls made in the same turn of the event loop go to Redis in one write.

The eager tasks a worker starts for one read batch each reach their first await in the same
turn; a `Batch` collects what they ask for then and sends it all at once, so a batch of 100
admissions costs one write and one round trip instead of 100.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence


class Batch[T, R]:
    """Send the items given in one loop turn together: `send` gets the list and returns one
    reply (or exception) per item, in order."""

    def __init__(self, send: Callable[[list[T]], Awaitable[Sequence[R | BaseException]]]) -> None:
        self._send = send
        self._items: list[T] = []
        self._futures: list[asyncio.Future[R]] = []
        self._scheduled = False
        self._sending: set[asyncio.Task[None]] = set()

    async def __call__(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._items.append(item)
        self._futures.append(future)
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        items, futures = self._items, self._futures
        self._items, self._futures, self._scheduled = [], [], False
        task = asyncio.get_running_loop().create_task(self._deliver(items, futures))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _deliver(self, items: list[T], futures: list[asyncio.Future[R]]) -> None:
        try:
            replies = await self._send(items)
        except BaseException as error:  # the connection: every caller hears of it
            for future in futures:
                if not future.done():
                    future.set_exception(error)
            if not isinstance(error, Exception):
                raise
            return
        for future, reply in zip(futures, replies, strict=True):
            if future.done():
                continue
            if isinstance(reply, BaseException):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    async def drain(self) -> None:
        """Wait until everything given so far has been sent."""
        while self._items or self._sending:
            if self._items:
                await asyncio.sleep(0)  # let the scheduled flush run
            if self._sending:
                await asyncio.wait(set(self._sending))
