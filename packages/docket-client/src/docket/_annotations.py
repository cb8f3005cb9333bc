"""What ``Annotated[T, ...]`` says about the parameters of a function, read once per function.

String annotations (``from __future__ import annotations``) are resolved in the function's
module where they can be; one that cannot be resolved says nothing.
"""

import contextlib
import inspect
import typing
from collections.abc import Callable
from typing import Annotated, Any
from weakref import WeakKeyDictionary

_metadata: "WeakKeyDictionary[Callable[..., Any], dict[str, tuple[Any, ...]]]" = WeakKeyDictionary()


def annotated_metadata(
    function: Callable[..., Any], signature: inspect.Signature
) -> dict[str, tuple[Any, ...]]:
    """The ``Annotated[T, *metadata]`` metadata of each parameter that has some."""
    try:
        return _metadata[function]
    except (KeyError, TypeError):
        pass
    found: dict[str, tuple[Any, ...]] = {}
    hints: dict[str, Any] | None = None
    for parameter in signature.parameters.values():
        annotation = parameter.annotation
        if isinstance(annotation, str):
            if hints is None:
                hints = _type_hints(function)
            annotation = hints.get(parameter.name, None)
            if annotation is None:
                annotation = _evaluate(function, parameter.annotation)
        if typing.get_origin(annotation) is Annotated:
            found[parameter.name] = annotation.__metadata__
    with contextlib.suppress(TypeError):  # not weakly referenceable: analysed next time too
        _metadata[function] = found
    return found


def _target(function: Callable[..., Any]) -> Any:
    """The function whose annotations describe the parameters of `function`."""
    target: Any = inspect.unwrap(function)
    if inspect.isclass(target):
        target = target.__init__
    while hasattr(target, "func") and not inspect.isfunction(target):  # functools.partial
        target = target.func
    return target


def _type_hints(function: Callable[..., Any]) -> dict[str, Any]:
    target = _target(function)
    if not (inspect.isfunction(target) or inspect.ismethod(target)):
        return {}
    try:
        return typing.get_type_hints(target, include_extras=True)
    except Exception:  # one unresolvable annotation spoils them all: try each alone
        return {}


def _evaluate(function: Callable[..., Any], annotation: str) -> Any:
    namespace = getattr(_target(function), "__globals__", None)
    if namespace is None:
        return None
    try:
        return eval(annotation, dict(namespace))
    except Exception:
        return None
