"""How task arguments travel: ``cloudpickle`` (any Python object; unpickling can run code) or
``msgpack`` (plain data only, through msgspec; decoding cannot run code).

With ``msgpack`` a call's ``[args, kwargs]`` is one msgpack array: plain data, datetimes, UUIDs,
Decimals, enums, dataclasses and msgspec Structs. The worker converts each argument to the type
its parameter is annotated with (a ``datetime`` parameter gets a datetime, a dataclass one a
dataclass), reading each task function's signature once. A pickle starts with its PROTO opcode
(0x80) and such an array with 0x92, so a payload says which codec wrote it: a worker whose
docket uses ``msgpack`` refuses pickled arguments (a dead letter) and never unpickles anything.
"""

import contextlib
import inspect
import os
import typing
from collections.abc import Callable
from typing import Any, Literal, get_args
from weakref import WeakKeyDictionary

import msgspec

from ._errors import MessageDecodeError, SerializationError
from ._wire import NO_ARGUMENTS, first_unencodable, pack_arguments, unpack_arguments

Codec = Literal["cloudpickle", "msgpack"]
CODECS: tuple[Codec, ...] = get_args(Codec)
CODEC_ENVVAR = "DOCKET_CODEC"
MSGPACK_HEAD = 0x92
"""The first byte of a msgpack array of two: ``[args, kwargs]``."""

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder()
Parameters = tuple[list[tuple[str, Any]], dict[str, Any], bool]
"""(positional (name, type) in order, type by name, takes **kwargs)."""
_parameters: "WeakKeyDictionary[Callable[..., Any], Parameters]" = WeakKeyDictionary()


def check_codec(codec: Codec) -> Codec:
    if codec not in CODECS:
        raise ValueError(f"Docket(codec={codec!r}) is not one of {', '.join(CODECS)}.")
    return codec


def codec_from_environment() -> Codec:
    """DOCKET_CODEC (for the CLI), cloudpickle when it is not set."""
    return check_codec(os.environ.get(CODEC_ENVVAR, "").strip() or "cloudpickle")  # type: ignore[arg-type]


def pack(codec: Codec, function_name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    """A call's arguments as `codec` writes them."""
    if codec == "cloudpickle":
        return pack_arguments(function_name, args, kwargs)
    if not args and not kwargs:
        return NO_ARGUMENTS
    try:
        return _encoder.encode([args, kwargs])
    except (TypeError, ValueError, OverflowError) as error:
        raise SerializationError(
            f"cannot encode the arguments of {function_name}"
            f"{first_unencodable(args, kwargs, _encoder.encode)} with the "
            f"msgpack codec: {error}. Pass plain data, datetimes, UUIDs, Decimals, enums, "
            "dataclasses or msgspec Structs, or use codec='cloudpickle'."
        ) from error


def unpack(
    codec: Codec, data: bytes, function: Callable[..., Any] | None
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """A call's arguments, typed by `function`'s annotations when msgpack wrote them. A docket
    on `msgpack` refuses pickled arguments (MessageDecodeError) without unpickling them."""
    if not data:
        return (), {}
    if data[0] != MSGPACK_HEAD:
        if codec == "msgpack":
            raise MessageDecodeError(
                "pickled arguments, and this docket's codec is msgpack: it never unpickles. "
                "Send the task from a docket with codec='msgpack' (DOCKET_CODEC=msgpack)"
            )
        return unpack_arguments(data)
    try:
        raw = _decoder.decode(data)
        args, kwargs = raw
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise TypeError("not a pair of a list and a map")
    except (msgspec.DecodeError, TypeError, ValueError) as error:
        raise MessageDecodeError(f"the msgpack task arguments do not decode: {error}") from None
    if function is None:
        return tuple(args), kwargs
    return _typed(function, args, kwargs)


def _typed(
    function: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    positional, by_name, _ = parameters_of(function)
    try:
        typed_args = tuple(
            _convert(value, positional[i][1]) if i < len(positional) else value
            for i, value in enumerate(args)
        )
        typed_kwargs = {
            name: _convert(value, by_name[name]) if name in by_name else value
            for name, value in kwargs.items()
        }
    except msgspec.ValidationError as error:
        raise MessageDecodeError(
            f"the msgpack task arguments do not fit the parameters of "
            f"{getattr(function, '__name__', function)}: {error}"
        ) from None
    return typed_args, typed_kwargs


def _convert(value: Any, annotation: Any) -> Any:
    if annotation is Any:
        return value
    return msgspec.convert(value, annotation, strict=False)


def parameters_of(function: Callable[..., Any]) -> Parameters:
    """The annotated types of `function`'s parameters (Any where it says none), read once."""
    known = _parameters.get(function)
    if known is not None:
        return known
    try:
        hints = typing.get_type_hints(function)  # Annotated[...] stripped to its type
    except Exception:  # an annotation that does not resolve: take the values as they are
        hints = {}
    positional: list[tuple[str, Any]] = []
    by_name: dict[str, Any] = {}
    var_keyword = False
    for name, parameter in inspect.signature(function).parameters.items():
        annotation = hints.get(name, Any)
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            positional.append((name, annotation))
        if parameter.kind is parameter.VAR_KEYWORD:
            var_keyword = True
        elif parameter.kind is not parameter.VAR_POSITIONAL:
            by_name[name] = annotation
    found = (positional, by_name, var_keyword)
    with contextlib.suppress(TypeError):  # not weak-referenceable: read again next time
        _parameters[function] = found
    return found
