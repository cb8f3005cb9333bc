"""docket: schedule async functions now or later, under keys you can replace or cancel.

Everything users import comes from here. ``Worker`` lives in the docket-worker package and is
imported on first use, so a web server that installs only docket-client never loads it.
"""

import importlib.util
from typing import TYPE_CHECKING, Any

from ._admission import ConcurrencyLimit as ConcurrencyLimit
from ._admission import Cooldown as Cooldown
from ._admission import Debounce as Debounce
from ._admission import Fair as Fair
from ._admission import RateLimit as RateLimit
from ._calls import Call as Call
from ._cron import Cron as Cron
from ._dead import DeadLetter as DeadLetter
from ._disposition import Disposition as Disposition
from ._docket import Docket as Docket
from ._docket_snapshot import DocketSnapshot as DocketSnapshot
from ._docket_snapshot import RunningExecution as RunningExecution
from ._errors import DocketConnectionError as DocketConnectionError
from ._errors import DocketError as DocketError
from ._errors import DocketOutOfMemoryError as DocketOutOfMemoryError
from ._errors import DocketPermissionError as DocketPermissionError
from ._errors import ExecutionCancelled as ExecutionCancelled
from ._errors import ExecutionFailed as ExecutionFailed
from ._errors import InvalidScheduleError as InvalidScheduleError
from ._errors import InvalidTaskError as InvalidTaskError
from ._errors import MessageDecodeError as MessageDecodeError
from ._errors import MessageTooLargeError as MessageTooLargeError
from ._errors import ResultUnavailableError as ResultUnavailableError
from ._errors import SerializationError as SerializationError
from ._errors import ShardCountError as ShardCountError
from ._execution import Execution as Execution
from ._logged import Logged as Logged
from ._markers import CurrentDocket as CurrentDocket
from ._markers import CurrentExecution as CurrentExecution
from ._markers import CurrentWorker as CurrentWorker
from ._markers import Depends as Depends
from ._markers import TaskArgument as TaskArgument
from ._markers import TaskKey as TaskKey
from ._markers import TaskLogger as TaskLogger
from ._perpetual import Perpetual as Perpetual
from ._progress import ExecutionProgress as ExecutionProgress
from ._progress import Progress as Progress
from ._results import ResultStorage as ResultStorage
from ._retry import ExponentialRetry as ExponentialRetry
from ._retry import ForcedRetry as ForcedRetry
from ._retry import Retry as Retry
from ._shared import Shared as Shared
from ._state import ExecutionState as ExecutionState
from ._strikes import Strike as Strike
from ._timeout import Timeout as Timeout
from ._workers import WorkerInfo as WorkerInfo

if TYPE_CHECKING:
    from docket_worker import Worker as Worker

__version__: str  # read from the installed metadata on first use (importlib.metadata is slow)

for _exported in (
    Call,
    ConcurrencyLimit,
    Cooldown,
    Debounce,
    Fair,
    RateLimit,
    DeadLetter,
    Disposition,
    Docket,
    DocketSnapshot,
    DocketConnectionError,
    DocketError,
    DocketOutOfMemoryError,
    DocketPermissionError,
    Execution,
    ExecutionCancelled,
    ExecutionFailed,
    ExecutionProgress,
    ExecutionState,
    ExponentialRetry,
    ForcedRetry,
    InvalidScheduleError,
    InvalidTaskError,
    Logged,
    MessageDecodeError,
    MessageTooLargeError,
    Perpetual,
    ResultStorage,
    ResultUnavailableError,
    Retry,
    RunningExecution,
    SerializationError,
    ShardCountError,
    Strike,
    Timeout,
    WorkerInfo,
    Cron,
):
    _exported.__module__ = "docket"

_CLIENT_NAMES = [
    "Call",
    "ConcurrencyLimit",
    "Cooldown",
    "Cron",
    "CurrentDocket",
    "CurrentExecution",
    "CurrentWorker",
    "DeadLetter",
    "Debounce",
    "Depends",
    "Disposition",
    "Docket",
    "DocketConnectionError",
    "DocketError",
    "DocketOutOfMemoryError",
    "DocketPermissionError",
    "DocketSnapshot",
    "Execution",
    "ExecutionCancelled",
    "ExecutionFailed",
    "ExecutionProgress",
    "ExecutionState",
    "ExponentialRetry",
    "Fair",
    "ForcedRetry",
    "InvalidScheduleError",
    "InvalidTaskError",
    "Logged",
    "MessageDecodeError",
    "MessageTooLargeError",
    "Perpetual",
    "Progress",
    "RateLimit",
    "ResultStorage",
    "ResultUnavailableError",
    "Retry",
    "RunningExecution",
    "SerializationError",
    "ShardCountError",
    "Shared",
    "Strike",
    "TaskArgument",
    "TaskKey",
    "TaskLogger",
    "Timeout",
    "WorkerInfo",
]
_HAS_WORKER = importlib.util.find_spec("docket_worker") is not None

__all__ = sorted(_CLIENT_NAMES + (["Worker"] if _HAS_WORKER else []))


def __getattr__(name: str) -> Any:
    if name == "__version__":
        import importlib.metadata

        version = globals()["__version__"] = importlib.metadata.version("docket-client")
        return version
    if name == "testing":  # `docket.testing.VirtualClock(...)` after a plain `import docket`
        import importlib

        return importlib.import_module("docket.testing")
    if name == "Worker":
        try:
            from docket_worker import Worker
        except ImportError as error:
            raise ImportError(
                "docket.Worker needs the docket-worker package, which is not installed: "
                "install it from docket's repository or its built wheels (docket's README, "
                "'Installing'); docket is not published on PyPI."
            ) from error
        globals()["Worker"] = Worker
        return Worker
    raise AttributeError(f"module 'docket' has no attribute {name!r}")


def __dir__() -> list[str]:
    return list(__all__)
