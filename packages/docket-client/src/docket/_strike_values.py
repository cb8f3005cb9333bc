"""The values of strikes as typed text: ``int:123``, ``str:abc``, ``datetime:2026-01-01T00:00``.

One spelling serves three purposes: what the `docket strike` command reads, what is stored in
the docket's strikes hash (readable in redis-cli, and no unpickling for the common types), and
the canonical id of a strike (two strikes of equal typed text are the same strike).

`parse_value` reads what a user typed: ``TYPE:TEXT`` with a type of the table below (or
pydocket's spellings ``decimal.Decimal``, ``uuid.UUID``, ``datetime.datetime``,
``datetime.timedelta`` and any other ``module.Name`` called with TEXT), else the whole text as
a string. `encode_value` writes a value the same way; a value of any other type is stored
cloudpickled (``pickle:<base64>``) with a readable id (``repr:module.Type:repr(value)``).
"""

import base64
import importlib
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import cloudpickle


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise ValueError(f"bool:{text} is neither bool:true nor bool:false")
    return lowered == "true"


def _parse_none(text: str) -> None:
    if text:
        raise ValueError(f"none:{text}: write none: (nothing after the colon)")


def _parse_timedelta(text: str) -> timedelta:
    return timedelta(seconds=float(text))


PARSERS: dict[str, Callable[[str], Any]] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": _parse_bool,
    "none": _parse_none,
    "decimal": Decimal,
    "uuid": uuid.UUID,
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "time": time.fromisoformat,
    "timedelta": _parse_timedelta,
}
"""Typed text: TYPE -> how TEXT becomes the value."""
ALIASES = {
    "builtins.str": "str",
    "builtins.int": "int",
    "builtins.float": "float",
    "builtins.bool": "bool",
    "decimal.Decimal": "decimal",
    "uuid.UUID": "uuid",
    "datetime.datetime": "datetime",
    "datetime.date": "date",
    "datetime.time": "time",
    "datetime.timedelta": "timedelta",
}
"""pydocket's `docket strike` spells types as Python paths."""
TYPE_NAMES = ", ".join(PARSERS)


def parse_value(text: str) -> Any:
    """The value a user typed: ``TYPE:TEXT``, or plain text (a string).

    Raises ValueError, saying what is wrong, for TEXT that is not of its TYPE or a
    ``module.Name`` that cannot be imported.
    """
    kind, colon, rest = text.partition(":")
    kind = ALIASES.get(kind, kind)
    if not colon or (kind not in PARSERS and "." not in kind):
        return text  # no type (or no known one, as in https://...): a string
    if kind in PARSERS:
        try:
            return PARSERS[kind](rest)
        except (ValueError, InvalidOperation) as error:
            raise ValueError(f"{text!r} is not a valid {kind}: {error or 'invalid'}") from None
    module_name, _, name = kind.rpartition(".")
    try:
        factory = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as error:
        raise ValueError(
            f"{text!r}: cannot load type {kind!r} ({error}); use one of {TYPE_NAMES} "
            "(TYPE:TEXT), or str:TEXT for text with a colon"
        ) from None
    try:
        return factory(rest)
    except Exception as error:
        raise ValueError(f"{text!r}: {kind}({rest!r}) failed: {error}") from None


def _typed(value: Any) -> str | None:
    """The typed text of a value of the table's types, else None."""
    if value is None:
        return "none:"
    if isinstance(value, bool):
        return "bool:true" if value else "bool:false"
    if isinstance(value, str):
        return "str:" + value
    encoders: list[tuple[type, str, Callable[[Any], str]]] = [
        (int, "int", str),
        (float, "float", repr),
        (Decimal, "decimal", str),
        (uuid.UUID, "uuid", str),
        (datetime, "datetime", datetime.isoformat),  # before date: a datetime is a date
        (date, "date", date.isoformat),
        (time, "time", time.isoformat),
        (timedelta, "timedelta", lambda delta: repr(delta.total_seconds())),
    ]
    for kind, name, text in encoders:
        if type(value) is kind:  # exactly: a subclass (an IntEnum, say) is pickled
            return f"{name}:{text(value)}"
    return None


def encode_value(value: Any) -> str:
    """How a value is stored: typed text, or ``pickle:<base64>`` for other types."""
    typed = _typed(value)
    if typed is not None:
        return typed
    try:
        pickled = cloudpickle.dumps(value)
    except Exception as error:
        raise TypeError(f"a strike's value must be picklable; {value!r} is not: {error}") from None
    return "pickle:" + base64.b64encode(pickled).decode()


def value_key(value: Any) -> str:
    """The part of a strike's id its value makes: its typed text, or its type and repr."""
    typed = _typed(value)
    if typed is not None:
        return typed
    kind = type(value)
    return f"repr:{kind.__module__}.{kind.__qualname__}:{value!r}"


def decode_value(text: str) -> Any:
    """The value `encode_value` stored (unpickling ``pickle:`` values: trusted input only)."""
    kind, _, rest = text.partition(":")
    if kind == "pickle":
        return cloudpickle.loads(base64.b64decode(rest))
    return PARSERS[kind](rest)


def display_value(value: Any) -> str:
    """A value as `docket strike` would read it back: typed text, a repr for other types."""
    typed = _typed(value)
    return typed if typed is not None else repr(value)
