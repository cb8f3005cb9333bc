"""The call text of the "started" and "finished" lines: ``send(12345, name=...)``.

Each argument shows as ``...`` unless its parameter is annotated ``Logged``; which ones are is
worked out once per task function (see _plan.py), the text only when INFO is enabled.
"""

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from docket import Logged
from docket._annotations import annotated_metadata


@dataclass(frozen=True, slots=True)
class LoggedParameters:
    """The Logged parameters of a function: by position and by name."""

    positional: tuple[Logged | None, ...]
    """For each positional parameter in order, its Logged, or None."""
    by_name: Mapping[str, Logged]


def logged_parameters(
    function: Callable[..., Any], signature: inspect.Signature
) -> LoggedParameters | None:
    """The Logged parameters of `function`, or None when it has none."""
    by_name: dict[str, Logged] = {}
    for name, metadata in annotated_metadata(function, signature).items():
        for item in metadata:
            if isinstance(item, Logged):
                by_name[name] = item
            elif isinstance(item, type) and issubclass(item, Logged):
                by_name[name] = item()  # bare `Logged`
    if not by_name:
        return None
    positional = tuple(
        by_name.get(parameter.name)
        for parameter in signature.parameters.values()
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    )
    return LoggedParameters(positional, by_name)


def call_text(
    name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any], logged: LoggedParameters | None
) -> str:
    """``name(args)``, each argument by repr if its parameter is Logged, else ``...``."""
    if logged is None:
        parts = ["..."] * len(args)
        parts.extend(f"{keyword}=..." for keyword in kwargs)
        return f"{name}({', '.join(parts)})"
    positional = logged.positional
    parts = []
    for index, argument in enumerate(args):
        marker = positional[index] if index < len(positional) else None
        parts.append("..." if marker is None else marker.format(argument))
    for keyword, argument in kwargs.items():
        marker = logged.by_name.get(keyword)
        parts.append(f"{keyword}=..." if marker is None else f"{keyword}={marker.format(argument)}")
    return f"{name}({', '.join(parts)})"
