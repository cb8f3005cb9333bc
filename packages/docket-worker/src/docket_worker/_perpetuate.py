"""The next run of a Perpetual (or Cron) task, settled atomically with this run's ack."""

from docket import Execution
from docket._codecs import pack
from docket._perpetual import Perpetual
from docket._scripts import AckEntry
from docket._speedups import encode_envelope


def next_run(
    execution: Execution, perpetual: Perpetual, arguments: bytes, now: int
) -> AckEntry | None:
    """The settlement that schedules the task's next run under its key, or None when the
    task ended the chain (`perpetual.cancel()`).

    It is a retry op (see ack.lua): it only goes through if the key still belongs to this
    chain, so a chain replaced or cancelled meanwhile is not revived by its running copy.
    """
    assert execution.message_id is not None
    if perpetual.cancelled:
        return None
    due = perpetual.next_run_ms(perpetual.started_ms, execution.when_ms, now)
    if perpetual.args is not None:
        codec = "cloudpickle" if execution.docket is None else execution.docket.codec
        arguments = pack(codec, execution.function_name, perpetual.args, perpetual.kwargs)
    payload = encode_envelope(
        execution.key, execution.function_name, due, 1, execution.token, arguments
    )
    return ("r", execution.message_id, execution.key, execution.token, payload, due)
