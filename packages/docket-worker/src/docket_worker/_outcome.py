"""What a task's exception means for its message: hand it back, retry it, or settle it failed."""

import asyncio
import logging
from typing import TYPE_CHECKING, Literal

from docket import Execution, Retry
from docket._results import error_text
from docket._scripts import AckEntry
from docket._speedups import encode_envelope

from ._retry import retry_due_ms

if TYPE_CHECKING:
    from ._worker import Worker

logger = logging.getLogger("docket.worker")

Outcome = Literal["succeeded", "failed", "retried", "cancelled"]


def cancelled_by_request(worker: "Worker", execution: Execution, error: BaseException) -> bool:
    """Whether the task was stopped by `docket.cancel` (or a replace with running="cancel"):
    then the run is over, recorded as cancelled and not retried."""
    if not isinstance(error, asyncio.CancelledError):
        return False
    if not worker.dispatcher.cancel_requests.discard_request(execution.token):
        return False
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()  # the cancellation was ours, and it has been handled
    logger.info("cancelled %s key=%s on request", execution.function_name, execution.key)
    return True


def hands_back(worker: "Worker", execution: Execution, error: BaseException) -> bool:
    """Whether the message of a task that raised `error` goes back to the docket unsettled.

    It does when the worker itself cancelled the task (its shutdown deadline passed, or the
    task running the worker was cancelled): the cancellation is then counted on the task,
    unlike a CancelledError the task raised itself. It does too when the task asked the
    process to stop (KeyboardInterrupt, SystemExit): the worker stops, and re-raises it once
    it has handed back all its messages.
    """
    if isinstance(error, KeyboardInterrupt | SystemExit):
        logger.warning(
            "%s key=%s raised %s: stopping the worker; its messages go back to the docket",
            execution.function_name,
            execution.key,
            type(error).__name__,
        )
        worker.dispatcher.request_stop(error)
        return True
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def acknowledgement(execution: Execution) -> AckEntry:
    """The settlement of a run that is over: acknowledge its message, release its key."""
    assert execution.message_id is not None
    return ("a", execution.message_id, execution.key, execution.token, b"", 0)


def failed(
    execution: Execution,
    policy: Retry | None,
    arguments: bytes,
    error: BaseException,
    elapsed_ms: float,
    *,
    now: int,
    recorded: bool = False,
) -> tuple[Outcome, AckEntry]:
    """Log a failed run; settle it as retried (per `policy`, or at the time a ForcedRetry
    asked for while attempts are left) or failed.

    `arguments` are the message's pickled arguments, reused as they are by a retry; `now`
    is the docket's time (see Docket.now_ms). `recorded`: the docket keeps records, so a
    retry notes the error's text in it (a final failure's settlement is then built by
    _records.failed_for_good instead).
    """
    assert execution.message_id is not None
    due = retry_due_ms(policy, execution.attempt, error, now)
    if due is None:
        logger.error(
            "failed %s key=%s attempt=%d in %.1f ms",
            execution.function_name,
            execution.key,
            execution.attempt,
            elapsed_ms,
            exc_info=error,
        )
        return "failed", acknowledgement(execution)
    logger.warning(
        "failed %s key=%s attempt=%d in %.1f ms (%s: %s); retrying in %.3f s",
        execution.function_name,
        execution.key,
        execution.attempt,
        elapsed_ms,
        type(error).__name__,
        error,
        (due - now) / 1000,
    )
    payload = encode_envelope(
        execution.key,
        execution.function_name,
        due,
        execution.attempt + 1,
        execution.token,
        arguments,
    )
    key, token = execution.key, execution.token
    if recorded:
        return "retried", ("r", execution.message_id, key, token, payload, due, error_text(error))
    return "retried", ("r", execution.message_id, key, token, payload, due)
