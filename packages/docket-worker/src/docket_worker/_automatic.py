"""Automatic Perpetual and Cron tasks: workers start their chains, once, and keep them alive."""

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from docket import InvalidTaskError
from docket._calls import call_builder
from docket._perpetual import Perpetual
from docket._time import ms_to_datetime

from ._resolve import plan_for

if TYPE_CHECKING:
    from ._worker import Worker

logger = logging.getLogger("docket.worker")


def automatic_tasks(worker: "Worker") -> list[tuple[Callable[..., Any], Perpetual]]:
    """The registered tasks whose Perpetual (or Cron) is automatic, checked to take no
    required arguments (a chain the worker starts has none to give them)."""
    found = []
    for name, function in sorted(worker.docket.tasks.items()):
        perpetual = plan_for(function).perpetual
        if perpetual is None or not perpetual.automatic:
            continue
        try:
            call_builder(worker.docket, function, None, name)()
        except InvalidTaskError as error:
            raise InvalidTaskError(
                f"{name} is an automatic {type(perpetual).__name__} task, so workers start it "
                f"with no arguments, which it cannot take ({error}) Give its parameters "
                "defaults, or make it automatic=False and add it yourself."
            ) from None
        found.append((function, perpetual))
    return found


async def seed(worker: "Worker", tasks: list[tuple[Callable[..., Any], Perpetual]]) -> None:
    """Start each chain under the task's name, unless that key already has one (or any state:
    running, pending, just cancelled); many workers starting at once start it once."""
    backend, now = worker.docket.backend, worker.docket.now_ms()
    for function, perpetual in tasks:
        name = function.__name__
        when = ms_to_datetime(perpetual.first_run_ms(now))
        call = call_builder(worker.docket, function, when, name)()
        if await backend.seed(call.schedule_args(now)):
            logger.info("started the chain of automatic task %s (key=%s) at %s", name, name, when)


async def keep_seeded(worker: "Worker", tasks: list[tuple[Callable[..., Any], Perpetual]]) -> None:
    """Start lost chains again, every half redelivery timeout (a chain can be lost with a
    failover that dropped writes, or when it is cancelled)."""
    interval = worker.redelivery_timeout.total_seconds() / 2
    while True:
        await asyncio.sleep(interval)
        await seed(worker, tasks)
        worker.outage.recovered()
