"""What a worker writes into execution records (when its docket keeps them): that a run
started, and what it returned or raised. The writes ride on the ack batches (see ack.lua)."""

import logging
from typing import TYPE_CHECKING, Any

from docket import Execution, SerializationError
from docket._record import outcome_field
from docket._results import error_text, pack_exception, pack_result, storage_key
from docket._scripts import AckEntry

if TYPE_CHECKING:
    from ._worker import Worker

logger = logging.getLogger("docket.worker")


def started(execution: Execution, worker: str, now_ms: int) -> AckEntry:
    """The note that `execution` started running on `worker` at `now_ms`."""
    assert execution.message_id is not None
    outcome = outcome_field(None, worker, now_ms, "")
    return ("s", execution.message_id, execution.key, execution.token, b"", now_ms, outcome)


async def completed(worker: "Worker", execution: Execution, value: Any) -> AckEntry:
    """The settlement of a run that returned `value` (not None): kept as its result."""
    assert execution.message_id is not None
    try:
        data = pack_result(value)
    except Exception as error:
        problem = SerializationError(
            f"{execution.function_name} returned a {type(value).__name__}, which cannot be "
            f"pickled ({error}); return plain data (numbers, strings, dataclasses)."
        )
        logger.error("failed %s key=%s: %s", execution.function_name, execution.key, problem)
        return await failed_for_good(worker, execution, problem)
    if await _stored_elsewhere(worker, execution, data):
        return ("A", execution.message_id, execution.key, execution.token, b"", 0)
    return ("a", execution.message_id, execution.key, execution.token, data, 0)


async def failed_for_good(worker: "Worker", execution: Execution, error: BaseException) -> AckEntry:
    """The settlement of a run whose exception ends the execution: kept, to be re-raised by
    `get_result`, with its short text as the record's error."""
    assert execution.message_id is not None
    data, text = pack_exception(error), error_text(error)
    if await _stored_elsewhere(worker, execution, data):
        return ("F", execution.message_id, execution.key, execution.token, b"", 0, text)
    return ("f", execution.message_id, execution.key, execution.token, data, 0, text)


async def _stored_elsewhere(worker: "Worker", execution: Execution, data: bytes) -> bool:
    """Put `data` in the docket's result_storage, if it has one."""
    docket = worker.docket
    storage = docket.result_storage
    if storage is None:
        return False
    await storage.put(
        storage_key(docket.name, execution.key, execution.token), data, docket.execution_ttl
    )
    return True


async def forget_orphans(worker: "Worker", entries: list[AckEntry], keys: list[str]) -> None:
    """Delete from result_storage the results of executions replaced or cancelled while they
    ran (ack.lua reports their keys): no record refers to them."""
    docket, orphaned = worker.docket, set(keys)
    storage = docket.result_storage
    if storage is None:
        return
    for entry in entries:
        if entry[0] in ("A", "F") and entry[2] in orphaned:
            await storage.delete(storage_key(docket.name, entry[2], entry[3]))
