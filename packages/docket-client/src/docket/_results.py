"""Results: what a finished task returned or raised, pickled into its record or elsewhere.

By default a result lives in the execution's record on the docket's Redis, written by the
same script call that settles the task. ``Docket(result_storage=...)`` sends results (and
exceptions) to any object with these three methods instead, for results too big or too many
for that Redis; the record then only says where to look:

    class ResultStorage(Protocol):
        async def put(self, key: str, value: bytes, ttl: timedelta) -> None: ...
        async def get(self, key: str) -> bytes | None: ...
        async def delete(self, key: str) -> None: ...

`put` keeps `value` under `key` for `ttl` (the docket's execution_ttl) at least; `get` returns
it, or None once gone; `delete` drops a result nothing refers to any more. Workers and the
clients that read results need the same storage.
"""

import pickle
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import cloudpickle

from ._errors import ExecutionFailed, ResultUnavailableError

if TYPE_CHECKING:
    from ._docket import Docket

PICKLE_PROTOCOL = 5
ERROR_TEXT_LIMIT = 1000
"""Characters of an exception's text kept as the record's `error`."""


@runtime_checkable
class ResultStorage(Protocol):
    """Where results go when not in the docket's own Redis (see this module's docstring)."""

    async def put(self, key: str, value: bytes, ttl: timedelta) -> None: ...
    async def get(self, key: str) -> bytes | None: ...
    async def delete(self, key: str) -> None: ...


def storage_key(docket_name: str, key: str, token: str) -> str:
    """The result_storage key of one execution's result: unique per execution."""
    return f"{docket_name}:{key}:{token}"


def error_text(error: BaseException) -> str:
    """The short text of an exception kept in the record: ``ValueError: boom``."""
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return text if len(text) <= ERROR_TEXT_LIMIT else text[: ERROR_TEXT_LIMIT - 1] + "…"


def pack_result(value: Any) -> bytes:
    """Pickle a task's return value; raises what cloudpickle raises for one it cannot."""
    return bytes(cloudpickle.dumps(value, protocol=PICKLE_PROTOCOL))


def pack_exception(error: BaseException) -> bytes:
    """Pickle a task's exception so that it unpickles as itself, else as ExecutionFailed
    with its type and text (some exceptions do not survive pickling)."""
    try:
        data = bytes(cloudpickle.dumps(error, protocol=PICKLE_PROTOCOL))
        pickle.loads(data)  # an exception whose __init__ does not fit its args fails here
        return data
    except Exception:
        substitute = ExecutionFailed(
            f"{error_text(error)} (the task raised a {type(error).__qualname__}, which "
            "cannot be pickled, so this stands in for it)"
        )
        return bytes(cloudpickle.dumps(substitute, protocol=PICKLE_PROTOCOL))


def unpack(data: bytes, what: str) -> Any:
    """Unpickle a stored result or exception, or say why it cannot be read here."""
    try:
        return pickle.loads(data)
    except Exception as error:
        raise ResultUnavailableError(
            f"the {what} cannot be unpickled here ({type(error).__name__}: {error}); this "
            "process may lack a module or class the worker had. Install the same code here."
        ) from error


async def load(docket: "Docket", key: str, token: str | None, elsewhere: bool) -> bytes | None:
    """The stored bytes of an execution's result or exception, or None if there are none."""
    if not elsewhere:
        return await docket._view_for(key).backend.read_field(key, "r")
    storage = docket.result_storage
    if storage is None or token is None:
        raise ResultUnavailableError(
            f"the result of key={key!r} was put in a result_storage, and this Docket was "
            "given none: pass the workers' result_storage to Docket(result_storage=...)."
        )
    return await storage.get(storage_key(docket.name, key, token))
