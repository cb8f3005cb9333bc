"""The message format: a msgpack envelope (via the kernels) carrying cloudpickled arguments.

Arguments are cloudpickled, so anyone who can write to a docket's keys can run code on its
workers. Only unpickle a message whose envelope decoded and whose function the worker knows.
"""

import pickle
from collections.abc import Callable
from typing import Any

import cloudpickle

from ._errors import MessageDecodeError, SerializationError

NO_ARGUMENTS = b""
PICKLE_PROTOCOL = 5
PLAIN_TYPES = frozenset({int, float, str, bytes, bool, type(None)})


def pack_arguments(function_name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    """Cloudpickle a call's arguments, or explain which argument cannot be sent."""
    if not args and not kwargs:
        return NO_ARGUMENTS
    try:
        if all(type(a) in PLAIN_TYPES for a in args) and all(
            type(v) in PLAIN_TYPES for v in kwargs.values()
        ):
            # Plain values pickle the same by value either way; the stdlib pickler is faster.
            return pickle.dumps((args, kwargs), protocol=PICKLE_PROTOCOL)
        return bytes(cloudpickle.dumps((args, kwargs), protocol=PICKLE_PROTOCOL))
    except Exception as error:
        culprit = first_unencodable(args, kwargs, cloudpickle.dumps)
        raise SerializationError(
            f"cannot serialize the arguments of {function_name}{culprit} with cloudpickle: "
            f"{error}. Pass plain data (ids, strings, numbers, dataclasses) and let the task "
            "open files, connections or locks itself."
        ) from error


def first_unencodable(
    args: tuple[Any, ...], kwargs: dict[str, Any], encode: Callable[[Any], Any]
) -> str:
    """ " (argument 'name', a Type)" for the first argument `encode` fails on, else ""."""
    named: list[tuple[str, Any]] = [(f"argument {i}", a) for i, a in enumerate(args)]
    named += [(f"argument {name!r}", value) for name, value in kwargs.items()]
    for label, value in named:
        try:
            encode(value)
        except Exception:
            return f" ({label}, a {type(value).__name__})"
    return ""


def unpack_arguments(data: bytes) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Unpickle a call's arguments; only for messages that passed the envelope checks.

    Anything but the ``(args, kwargs)`` pair `pack_arguments` writes is a MessageDecodeError.
    """
    if not data:
        return (), {}
    try:
        call = cloudpickle.loads(data)
    except Exception as error:
        raise MessageDecodeError(
            f"cannot unpickle the task arguments ({type(error).__name__}: {error}); the "
            "worker may lack a module or class the client had. Install the same code on both."
        ) from error
    if type(call) is tuple and len(call) == 2:  # what pack_arguments writes: checked fast
        args, kwargs = call
        if (
            type(args) is tuple
            and type(kwargs) is dict
            and (not kwargs or all(type(name) is str for name in kwargs))
        ):
            return args, kwargs
    return _other_shape(call)


def _other_shape(call: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The arguments of a hand-written message: any pair of a sequence and a dict with str
    keys; anything else is a MessageDecodeError."""
    if isinstance(call, (tuple, list)) and len(call) == 2:
        args, kwargs = call
        if (
            isinstance(args, (tuple, list))
            and isinstance(kwargs, dict)
            and all(isinstance(name, str) for name in kwargs)
        ):
            return tuple(args), dict(kwargs)
    raise MessageDecodeError(
        f"the task arguments unpickled to {_shape(call)}, not the (args, kwargs) pair of a "
        "sequence and a dict with str keys that docket's client writes: the message was not "
        "written by docket's client."
    )


def _shape(value: Any) -> str:
    if isinstance(value, (tuple, list)) and len(value) == 2:
        args, kwargs = value
        return f"a pair of {type(args).__name__} and {type(kwargs).__name__}"
    return f"a {type(value).__name__}"
