"""Run one execution: resolve its dependencies, call it, and say how to settle its message."""

import logging
import time
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Literal

from docket import Execution
from docket._scripts import AckEntry
from docket._speedups import encode_envelope
from docket._time import now_ms

from ._resolve import Resolver, plan_for
from ._retry import retry_delay_ms

if TYPE_CHECKING:
    from ._worker import Worker

logger = logging.getLogger("docket.worker")


Outcome = Literal["succeeded", "failed", "retried"]


async def execute(
    worker: "Worker", execution: Execution, arguments: bytes
) -> tuple[Outcome, AckEntry]:
    """Run `execution` to the end; return how it went and how to settle its message.

    `arguments` are the message's pickled arguments, reused as they are by a retry.
    """
    function = execution.function
    assert function is not None
    assert execution.message_id is not None
    plan = plan_for(function)
    verbose = logger.isEnabledFor(logging.INFO)
    if verbose:
        logger.info(
            "started %s key=%s attempt=%d",
            execution.function_name,
            execution.key,
            execution.attempt,
        )
    started = time.perf_counter()
    try:
        if plan.injected:
            async with AsyncExitStack() as stack:
                resolver = Resolver(worker.docket, worker, execution, stack)
                kwargs = await resolver.arguments_for(plan)
                await function(*execution.args, **kwargs)
        else:
            await function(*execution.args, **execution.kwargs)
    except Exception as error:
        elapsed_ms = (time.perf_counter() - started) * 1000
        delay_ms = None if plan.retry is None else retry_delay_ms(plan.retry, execution.attempt)
        if delay_ms is None:
            logger.exception(
                "failed %s key=%s attempt=%d in %.1f ms",
                execution.function_name,
                execution.key,
                execution.attempt,
                elapsed_ms,
            )
            return "failed", ("a", execution.message_id, execution.key, execution.token, b"", 0)
        logger.warning(
            "failed %s key=%s attempt=%d in %.1f ms (%s: %s); retrying in %.3f s",
            execution.function_name,
            execution.key,
            execution.attempt,
            elapsed_ms,
            type(error).__name__,
            error,
            delay_ms / 1000,
        )
        due = now_ms() + delay_ms
        payload = encode_envelope(
            execution.key,
            execution.function_name,
            due,
            execution.attempt + 1,
            execution.token,
            arguments,
        )
        return "retried", ("r", execution.message_id, execution.key, execution.token, payload, due)
    if verbose:
        logger.info(
            "finished %s key=%s attempt=%d in %.1f ms",
            execution.function_name,
            execution.key,
            execution.attempt,
            (time.perf_counter() - started) * 1000,
        )
    return "succeeded", ("a", execution.message_id, execution.key, execution.token, b"", 0)
