"""The public API is exactly docket.__all__: sorted, complete, importable, reported as `docket`."""

import ast
import importlib.metadata
import re
import textwrap
from pathlib import Path

import docket

ROOT = Path(__file__).resolve().parents[2]

PUBLIC_NAMES = [
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
    "Worker",
    "WorkerInfo",
]


def test_all_is_sorted() -> None:
    assert docket.__all__ == sorted(docket.__all__)


def test_all_lists_exactly_the_public_names() -> None:
    assert docket.__all__ == PUBLIC_NAMES


def test_every_public_object_defined_by_docket_is_listed_in_all() -> None:
    defined_here = {
        name
        for name, value in vars(docket).items()
        if not name.startswith("_")
        and getattr(value, "__module__", "").partition(".")[0] in ("docket", "docket_worker")
    }

    assert defined_here <= set(docket.__all__)


def test_every_name_in_all_imports() -> None:
    for name in docket.__all__:
        namespace: dict[str, object] = {}
        exec(f"from docket import {name}", namespace)
        assert namespace[name] is getattr(docket, name)


def test_the_names_users_know_import_in_one_line() -> None:
    from docket import (
        CurrentDocket,
        CurrentExecution,
        CurrentWorker,
        Depends,
        Docket,
        ExponentialRetry,
        Retry,
        TaskArgument,
        TaskKey,
        TaskLogger,
        Worker,
    )

    assert Worker.__name__ == "Worker"
    assert all(
        callable(item)
        for item in (
            CurrentDocket,
            CurrentExecution,
            CurrentWorker,
            Depends,
            Docket,
            ExponentialRetry,
            Retry,
            TaskArgument,
            TaskKey,
            TaskLogger,
        )
    )


def test_star_import_brings_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from docket import *", namespace)

    assert sorted(name for name in namespace if name != "__builtins__") == docket.__all__


def test_dir_of_docket_shows_the_public_names() -> None:
    assert dir(docket) == docket.__all__


def test_exported_classes_report_docket_as_their_module() -> None:
    classes = [getattr(docket, name) for name in docket.__all__]
    classes = [value for value in classes if isinstance(value, type)]

    assert {cls.__name__ for cls in classes} >= {"Docket", "Worker", "Retry", "DocketError"}
    assert {cls.__name__: cls.__module__ for cls in classes} == {
        cls.__name__: "docket" for cls in classes
    }


def test_errors_form_one_tree_under_docket_error() -> None:
    errors = [getattr(docket, name) for name in docket.__all__ if name.endswith("Error")]

    assert all(issubclass(error, docket.DocketError) for error in errors)
    assert issubclass(docket.InvalidTaskError, TypeError)
    assert issubclass(docket.SerializationError, TypeError)
    assert issubclass(docket.InvalidScheduleError, ValueError)
    assert issubclass(docket.DocketConnectionError, ConnectionError)


def test_version_is_the_installed_docket_client_version() -> None:
    assert docket.__version__ == importlib.metadata.version("docket-client")
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", docket.__version__)


def _readme_python_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    return [textwrap.dedent(block) for block in blocks]  # blocks in list items are indented


def test_readme_imports_only_names_docket_exports() -> None:
    imported: set[str] = set()
    for block in _readme_python_blocks():
        flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        tree = compile(block, "README.md", "exec", flags=flags)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "docket":
                imported.update(alias.name for alias in node.names)

    assert imported, "the README shows no `from docket import ...`"
    assert imported <= set(docket.__all__), imported - set(docket.__all__)
