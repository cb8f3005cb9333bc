"""Run one execution: resolve its dependencies, call it, and say how to settle its message."""

import asyncio
import logging
import time
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from docket import Execution
from docket._scripts import AckEntry

from ._deadline import run_within
from ._logged import call_text
from ._outcome import Outcome, acknowledgement, cancelled_by_request, failed, hands_back
from ._perpetuate import next_run
from ._records import completed, failed_for_good
from ._resolve import Resolver, plan_for

if TYPE_CHECKING:
    from ._worker import Worker

logger = logging.getLogger("docket.worker.tasks")
"""The per-task "started" and "finished" lines (INFO): quiet it alone to drop them."""


async def execute(
    worker: "Worker", execution: Execution, arguments: bytes
) -> tuple[Outcome, AckEntry] | None:
    """Run `execution` to the end; return how it went and how to settle its message, or None
    when the message goes back to the docket unsettled (see _outcome.hands_back).

    Whatever the task raises is a failure of the task, CancelledError and GeneratorExit too.
    `arguments` are the message's pickled arguments, reused as they are by a retry.
    """
    function = execution.function
    assert function is not None
    plan = plan_for(function)
    verbose = logger.isEnabledFor(logging.INFO)
    described = ""
    if verbose:
        described = logged_call(execution)  # built once, for both lines
        log_start(execution, described)
    started = time.perf_counter()
    resolver: Resolver | None = None
    try:
        if plan.injected or worker.dependencies:
            async with AsyncExitStack() as stack:
                resolver = Resolver(worker.docket, worker, execution, stack)
                kwargs = await resolver.arguments_for(plan)
                call = function(*execution.args, **kwargs)
                if resolver.timeout is None:
                    value = await call
                else:
                    value = await run_within(call, resolver.timeout)
        else:
            value = await function(*execution.args, **execution.kwargs)
    except BaseException as error:
        return await after_failure(worker, execution, resolver, arguments, error, started)
    if resolver is not None and resolver.progress is not None:
        await worker.progress.flush(resolver.progress)
    if verbose:
        logger.info(
            "finished %s key=%s attempt=%d in %.1f ms",
            described,
            execution.key,
            execution.attempt,
            (time.perf_counter() - started) * 1000,
        )
    perpetuated = then_perpetuate(execution, resolver, arguments)
    if perpetuated is not None:
        return "succeeded", perpetuated
    if value is None or not worker.dispatcher.records:
        return "succeeded", acknowledgement(execution)
    return "succeeded", await completed(worker, execution, value)


async def after_failure(
    worker: "Worker",
    execution: Execution,
    resolver: Resolver | None,
    arguments: bytes,
    error: BaseException,
    started: float,
) -> tuple[Outcome, AckEntry] | None:
    """How to settle a run that raised `error` (see `execute`)."""
    if cancelled_by_request(worker, execution, error):
        return "cancelled", acknowledgement(execution)
    if hands_back(worker, execution, error):
        if isinstance(error, asyncio.CancelledError):
            raise error
        return None
    if worker.telemetry is not None:
        worker.telemetry.failed(error)
    if resolver is not None and resolver.progress is not None:
        await worker.progress.flush(resolver.progress)  # a finished run's last progress
    assert execution.function is not None
    policy = plan_for(execution.function).retry if resolver is None else resolver.retry
    elapsed_ms = (time.perf_counter() - started) * 1000
    recorded = worker.dispatcher.records
    now = worker.docket.now_ms()
    outcome, entry = failed(
        execution, policy, arguments, error, elapsed_ms, now=now, recorded=recorded
    )
    if outcome == "failed":
        perpetuated = then_perpetuate(execution, resolver, arguments)
        if perpetuated is not None:
            entry = perpetuated
        elif recorded:
            entry = await failed_for_good(worker, execution, error)
    return outcome, entry


def log_start(execution: Execution, described: str) -> None:
    if execution.redelivered_from is None:
        logger.info(
            "started %s key=%s attempt=%d",
            described,
            execution.key,
            execution.attempt,
        )
    else:
        logger.info(
            "started %s key=%s attempt=%d (redelivered from %s, delivery %d)",
            described,
            execution.key,
            execution.attempt,
            execution.redelivered_from,
            execution.delivery,
        )


def logged_call(execution: Execution) -> str:
    """``send(12345, name=...)``: the arguments of Logged parameters, the rest as ``...``."""
    assert execution.function is not None
    logged = plan_for(execution.function).logged
    return call_text(execution.function_name, execution.args, execution.kwargs, logged)


def then_perpetuate(
    execution: Execution, resolver: Resolver | None, arguments: bytes
) -> AckEntry | None:
    """For a Perpetual (or Cron) task, the settlement that also schedules its next run."""
    if resolver is None or resolver.perpetual is None:
        return None
    limits = resolver.worker.dispatcher.run_limits
    if limits is not None and limits.used_up(execution.key):
        return None  # run_at_most: this was the key's last run
    return next_run(execution, resolver.perpetual, arguments, resolver.docket.now_ms())
