"""Every error docket raises, each saying what happened and what to do.

DocketError
├── InvalidTaskError        (also a TypeError)   not an async function, unknown name, bad arguments
├── SerializationError      (also a TypeError)   arguments cloudpickle cannot serialize
├── InvalidScheduleError    (also a ValueError)  naive datetime, empty key, bad docket name
├── MessageDecodeError      (also a ValueError)  a message a worker cannot decode
└── DocketConnectionError   (also a ConnectionError)  the Redis server cannot be reached
"""


class DocketError(Exception):
    """Base class of every error docket raises on purpose."""


class InvalidTaskError(DocketError, TypeError):
    """A task function or its call arguments cannot be scheduled."""


class SerializationError(DocketError, TypeError):
    """The arguments of a task call cannot be serialized with cloudpickle."""


class InvalidScheduleError(DocketError, ValueError):
    """A `when`, `key` or docket name that docket cannot use."""


class MessageDecodeError(DocketError, ValueError):
    """A message on the docket that this version of docket cannot decode."""


class DocketConnectionError(DocketError, ConnectionError):
    """The docket's Redis server cannot be reached."""
