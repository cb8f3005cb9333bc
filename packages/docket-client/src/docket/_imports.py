"""Load a collection of task functions from a "module:attribute" path."""

import importlib
from collections.abc import Iterable
from typing import Any

from ._errors import InvalidTaskError


def import_collection(path: str) -> list[Any]:
    """Import ``module:attribute`` and return its items, or say exactly what was wrong."""
    module_name, sep, attribute = path.partition(":")
    if not sep or not module_name or not attribute:
        raise InvalidTaskError(
            f"task collection {path!r} must look like 'module:attribute', "
            "e.g. 'my_tasks:my_task_collection'."
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise InvalidTaskError(
            f"cannot import module {module_name!r} for task collection {path!r}: {error}. "
            "Check the spelling and that the module is importable (on sys.path)."
        ) from error
    except Exception as error:
        raise InvalidTaskError(
            f"importing module {module_name!r} for task collection {path!r} failed: "
            f"{type(error).__name__}: {error}. Fix the module so that it imports."
        ) from error
    try:
        collection = getattr(module, attribute)
    except AttributeError:
        raise InvalidTaskError(
            f"module {module_name!r} has no attribute {attribute!r} (task collection {path!r})."
        ) from None
    if not isinstance(collection, Iterable) or isinstance(collection, str | bytes):
        raise InvalidTaskError(
            f"{path!r} is a {type(collection).__name__}, not a list of async task functions."
        )
    try:
        return list(collection)
    except Exception as error:
        raise InvalidTaskError(
            f"cannot iterate task collection {path!r}: {type(error).__name__}: {error}."
        ) from error
