"""What clients tell workers through pub/sub: wake the scheduler, stop a running task."""

from typing import TYPE_CHECKING

from docket._backends import RedisBackend

from ._scheduler import Scheduler

if TYPE_CHECKING:
    from ._worker import Worker


async def listen(worker: "Worker", subscriber: RedisBackend, scheduler: Scheduler) -> None:
    """Route each notice: an earlier parked execution wakes the scheduler; a cancel notice
    stops the named task if it runs here."""
    cancel = worker.docket.keys.cancel
    requests = worker.dispatcher.cancel_requests
    async for channel, data in subscriber.notices():
        if channel == cancel:
            token, _, _key = data.decode(errors="replace").partition(" ")
            requests.request(token)
        else:
            scheduler.wake.set()
