"""Strikes: switch work off without a deploy (pydocket's `docket.strike` and `docket.restore`).

A strike names a task (or any task) and, optionally, a condition on one of its arguments. The
strikes in effect live in the docket's strikes hash (field: the strike's canonical id, value:
its encoded form; see _strike_values) and every change is announced on a channel, which each
open Docket follows (_strike_follow), so every client and worker knows them within a few
milliseconds. A client refuses a struck call at `add` (Disposition.STRUCK); a worker holds a
struck execution it takes (docket_worker._strikes) until a restore puts it back.

`Strikes` is this process's copy, indexed for the check each add and each taken message
makes: with no strike in effect that check is one attribute read.
"""

import inspect
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

from ._strike_values import decode_value, display_value, encode_value, value_key
from ._tasks import task_signature

if TYPE_CHECKING:
    from ._execution import Execution

logger = logging.getLogger("docket.strikes")

Operator = Literal["==", "!=", ">", ">=", "<", "<=", "between"]
OPERATORS: tuple[Operator, ...] = get_args(Operator)


@dataclass(frozen=True, slots=True)
class Strike:
    """One strike: `function` (None: any task) called with `parameter` `operator` `value`
    (`parameter` None: every call of `function`, whatever its arguments)."""

    function: str | None
    parameter: str | None
    operator: Operator = "=="
    value: Any = None
    """With "between", the (low, high) pair, both included."""

    @property
    def id(self) -> str:
        """The canonical id: equal for the same strike however its value was written."""
        if self.operator == "between":
            low, high = self.value
            value: Any = [value_key(low), value_key(high)]
        else:
            value = value_key(self.value)
        return _json([self.function, self.parameter, self.operator, value])

    def encode(self) -> str:
        """The strike as stored in the strikes hash."""
        if self.operator == "between":
            low, high = self.value
            value: Any = [encode_value(low), encode_value(high)]
        else:
            value = encode_value(self.value)
        return _json([self.function, self.parameter, self.operator, value])

    @classmethod
    def decode(cls, text: str | bytes) -> "Strike":
        function, parameter, operator, value = json.loads(text)
        if operator == "between":
            decoded: Any = tuple(decode_value(bound) for bound in value)
        else:
            decoded = decode_value(value)
        return cls(function, parameter, operator, decoded)

    def words(self) -> list[str]:
        """The strike as the `docket strike` command takes it: FUNCTION [PARAMETER OP VALUE]."""
        words = [self.function or "*"]
        if self.parameter is not None:
            words += [self.parameter, self.operator]
            bounds = self.value if self.operator == "between" else (self.value,)
            words += [display_value(bound) for bound in bounds]
        return words

    def __str__(self) -> str:
        """``send_email``, ``any task where customer_id == 123``, ``sync where customer_id
        between 100 and 200``."""
        function = self.function or "any task"
        if self.parameter is None:
            return function
        if self.operator == "between":
            low, high = self.value
            return f"{function} where {self.parameter} between {low!r} and {high!r}"
        return f"{function} where {self.parameter} {self.operator} {self.value!r}"


def _json(parts: list[Any]) -> str:
    return json.dumps(parts, ensure_ascii=False, separators=(",", ":"))


def strike_of(
    function: Callable[..., Any] | str | None,
    parameter: str | None,
    operator: str,
    value: Any,
) -> Strike:
    """Check what `docket.strike` or `docket.restore` was given; the Strike it names."""
    name = _function_name(function)
    if parameter is not None and (not isinstance(parameter, str) or not parameter):
        raise ValueError(f"strike(parameter={parameter!r}): pass an argument's name, or None.")
    if name is None and parameter is None:
        raise ValueError(
            "strike() needs a function, a parameter or both: strike(send_email) stops one task, "
            "strike(None, 'customer_id', '==', 123) the calls of any task with that argument."
        )
    if parameter is None:
        return Strike(name, None)  # the whole task: no condition
    if operator not in OPERATORS:
        raise ValueError(f"strike(operator={operator!r}) is not one of {', '.join(OPERATORS)}.")
    if operator == "between":
        value = _pair(value)
    strike = Strike(name, parameter, operator, value)
    strike.encode()  # an unpicklable value fails here, before anything is sent
    return strike


def _function_name(function: Callable[..., Any] | str | None) -> str | None:
    if function is None or isinstance(function, str):
        if function == "":
            raise ValueError("strike(function=''): pass a task function, its name, or None.")
        return function
    name = getattr(function, "__name__", None)
    if not callable(function) or not isinstance(name, str):
        raise TypeError(f"strike(function={function!r}): pass a task function, its name or None.")
    return name


def _pair(value: Any) -> tuple[Any, Any]:
    """The (low, high) bounds of a "between" strike."""
    bounds = (
        () if isinstance(value, str | bytes) or not isinstance(value, Iterable) else tuple(value)
    )
    if len(bounds) != 2:
        raise ValueError(f"strike(..., 'between', {value!r}): pass a (low, high) pair.")
    return bounds[0], bounds[1]


class Strikes:
    """The strikes in effect on one docket, as this process last read them."""

    def __init__(self) -> None:
        self.active = False
        """Any strike in effect: the one thing the hot paths read when there is none."""
        self._stored: dict[str, tuple[bytes, Strike | None]] = {}
        self._whole: set[str] = set()
        self._by_function: dict[str, list[Strike]] = {}
        self._any_function: list[Strike] = []
        self._warned: set[tuple[str, str]] = set()

    def current(self) -> list[Strike]:
        """The strikes in effect (those this process could decode), in id order."""
        return [s for _id, (_raw, s) in sorted(self._stored.items()) if s is not None]

    def replace(self, stored: Mapping[str, bytes]) -> None:
        """Take the strikes hash as read (id -> encoded strike) as the strikes in effect."""
        kept: dict[str, tuple[bytes, Strike | None]] = {}
        for strike_id, raw in stored.items():
            known = self._stored.get(strike_id)
            if known is not None and known[0] == raw:
                kept[strike_id] = known
                continue
            try:
                kept[strike_id] = (raw, Strike.decode(raw))
            except Exception as error:  # a class this process lacks, say
                logger.warning("cannot read strike %s (%s); it is ignored here", strike_id, error)
                kept[strike_id] = (raw, None)
        self._stored = kept
        self._index()

    def _index(self) -> None:
        self._whole, self._by_function, self._any_function = set(), {}, []
        for _raw, strike in self._stored.values():
            if strike is None:
                continue
            if strike.parameter is None:
                assert strike.function is not None
                self._whole.add(strike.function)
            elif strike.function is None:
                self._any_function.append(strike)
            else:
                self._by_function.setdefault(strike.function, []).append(strike)
        self.active = bool(self._whole or self._by_function or self._any_function)

    def match(
        self,
        function_name: str,
        function: Callable[..., Any] | None,
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
    ) -> Strike | None:
        """The first strike in effect that a call matches, or None.

        The arguments are bound to `function`'s signature when it is known (so positional
        arguments count, and defaults too), else only the keyword arguments are looked at.
        """
        if not self.active:
            return None
        if function_name in self._whole:
            return Strike(function_name, None)
        candidates = self._by_function.get(function_name, []) + self._any_function
        if not candidates:
            return None
        arguments = _arguments(function, args, kwargs)
        for strike in candidates:
            assert strike.parameter is not None
            if strike.parameter in arguments and self._compare(strike, arguments[strike.parameter]):
                return strike
        return None

    def refuse(self, execution: "Execution") -> bool:
        """Whether the call of `execution` (about to be added) matches a strike; if so, mark
        it struck: nothing is scheduled for it."""
        strike = self.match(
            execution.function_name, execution.function, execution.args, execution.kwargs
        )
        if strike is None:
            return False
        execution.scheduled, execution.struck = False, True
        logger.debug(
            "refused %s key=%s: struck (%s)", execution.function_name, execution.key, strike
        )
        return True

    def _compare(self, strike: Strike, argument: Any) -> bool:
        """Whether `argument` meets the strike's condition; a comparison that fails (the types
        do not compare) is not a match, and says so once per strike and type."""
        try:
            return _holds(strike.operator, argument, strike.value)
        except (TypeError, ValueError) as error:
            warned = (strike.id, type(argument).__qualname__)
            if warned not in self._warned:
                self._warned.add(warned)
                logger.warning(
                    "strike %s cannot compare a %s argument (%s): such calls are not struck",
                    strike,
                    type(argument).__qualname__,
                    error,
                )
            return False


def _holds(operator: Operator, argument: Any, value: Any) -> bool:
    match operator:
        case "==":
            return bool(argument == value)
        case "!=":
            return bool(argument != value)
        case ">":
            return bool(argument > value)
        case ">=":
            return bool(argument >= value)
        case "<":
            return bool(argument < value)
        case "<=":
            return bool(argument <= value)
        case "between":
            low, high = value
            return bool(low <= argument <= high)


def _arguments(
    function: Callable[..., Any] | None, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """A call's arguments by parameter name: bound to the signature when it is known (with
    plain defaults, not docket's markers), else its keyword arguments."""
    if function is None:
        return kwargs
    try:
        signature = task_signature(function)
        bound = signature.bind(*args, **kwargs)
    except (TypeError, ValueError):
        return kwargs
    arguments = dict(kwargs)  # a **kwargs parameter's entries, by their own names
    for name, parameter in signature.parameters.items():
        if parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        if name in bound.arguments:
            arguments[name] = bound.arguments[name]
        elif parameter.default is not inspect.Parameter.empty and not _docket_default(
            parameter.default
        ):
            arguments[name] = parameter.default
    return arguments


def _docket_default(default: Any) -> bool:
    """A marker or policy (TaskKey(), Retry(...)) that the worker fills in: not an argument."""
    return type(default).__module__.partition(".")[0] in ("docket", "docket_worker")
