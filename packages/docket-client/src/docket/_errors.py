"""Every error docket raises, each saying what happened and what to do.

DocketError
├── InvalidTaskError        (also a TypeError)   not an async function, unknown name, bad arguments
├── SerializationError      (also a TypeError)   arguments cloudpickle cannot serialize
├── MessageTooLargeError    (also a ValueError)  arguments larger than the server accepts
├── InvalidScheduleError    (also a ValueError)  naive datetime, empty key, bad docket name
├── MessageDecodeError      (also a ValueError)  a message a worker cannot decode
├── DocketOutOfMemoryError                       Redis is at maxmemory and refuses writes
├── DocketConnectionError   (also a ConnectionError)  the Redis server cannot be reached
├── DocketPermissionError                        the Redis user's ACL refused a command or key
├── ExecutionCancelled                           get_result of an execution that was cancelled
├── ExecutionFailed                              get_result of a failure whose exception could
│                                                not be kept (it did not pickle) or read back
└── ResultUnavailableError                       a result that cannot be read here
"""


class DocketError(Exception):
    """Base class of every error docket raises on purpose."""


class InvalidTaskError(DocketError, TypeError):
    """A task function or its call arguments cannot be scheduled."""


class SerializationError(DocketError, TypeError):
    """The arguments of a task call cannot be serialized with cloudpickle."""


class MessageTooLargeError(DocketError, ValueError):
    """A call whose message is larger than the Redis server accepts (proto-max-bulk-len)."""


class InvalidScheduleError(DocketError, ValueError):
    """A `when`, `key` or docket name that docket cannot use."""


class MessageDecodeError(DocketError, ValueError):
    """A message on the docket that this version of docket cannot decode."""


class DocketOutOfMemoryError(DocketError):
    """Redis is at its maxmemory limit and refuses to store more; nothing was scheduled."""


class DocketConnectionError(DocketError, ConnectionError):
    """The docket's Redis server cannot be reached.

    ``outcome_unknown`` is True when a call was sent but its reply was lost, so it may have
    happened; False when it certainly did not happen.
    """

    def __init__(self, message: str, *, outcome_unknown: bool = False) -> None:
        super().__init__(message)
        self.outcome_unknown = outcome_unknown


class DocketPermissionError(DocketError):
    """Redis refused a command, key or channel to the docket's Redis user (its ACL); the
    message names the user and what was refused. Nothing was done by the refused call."""


class ExecutionCancelled(DocketError):
    """`get_result` of an execution that was cancelled (`docket.cancel`) before it finished."""


class ExecutionFailed(DocketError):
    """`get_result` of an execution that failed, when its exception could not be stored or
    read back as itself (it did not pickle); the message has its type and text."""


class ResultUnavailableError(DocketError):
    """A stored result that this process cannot read: it lives in a result_storage this
    Docket was not given, or it does not unpickle here (a class this process lacks)."""


class ShardCountError(InvalidScheduleError):
    """The docket is laid out in another number of shards than this client or worker was
    given (Docket(shards=N)); the message says how to migrate."""
