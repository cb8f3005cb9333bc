"""`docket worker --dependencies module:attr` and `--fallback-task module:function`: what the
Worker gets besides the settings, imported from the user's modules.

A path that does not load, or names the wrong kind of object, exits 1 with one line, as a bad
`--tasks` path does. It imports docket, so only a worker that runs loads it.
"""

import contextlib
import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from docket import InvalidTaskError, Worker
from docket._tasks import check_task_function
from docket_worker._health import serve_health
from docket_worker._metrics_server import MetricsUnavailableError, serve_metrics
from docket_worker._worker_dependencies import normalise_dependencies

from ._options import fail


def import_member(option: str, path: str, example: str) -> Any:
    """The object `path` ("module:attribute") names, or exit 1 saying what was wrong."""
    module_name, sep, attribute = path.partition(":")
    if not sep or not module_name or not attribute:
        fail(f"{option} {path!r} must look like 'module:attribute', e.g. {example!r}.")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        fail(
            f"{option} {path!r}: cannot import module {module_name!r}: {error}. Check the "
            "spelling and that the module is importable (on sys.path)."
        )
    except Exception as error:
        fail(
            f"{option} {path!r}: importing module {module_name!r} failed: "
            f"{type(error).__name__}: {error}. Fix the module so that it imports."
        )
    try:
        return getattr(module, attribute)
    except AttributeError:
        fail(f"{option} {path!r}: module {module_name!r} has no attribute {attribute!r}.")


def load_dependencies(path: str) -> Mapping[str, Any] | Sequence[Any]:
    """The mapping (name to marker) or sequence of markers `path` names, checked by the
    worker's own rules."""
    member = import_member("--dependencies", path, "my_app.worker:dependencies")
    try:
        normalise_dependencies(member)
    except TypeError as error:  # says what is wrong and what to pass
        fail(f"--dependencies {path!r}: {error}")
    dependencies: Mapping[str, Any] | Sequence[Any] = member
    return dependencies


def load_fallback_task(path: str) -> Any:
    """The async function `path` names, checked like a task."""
    member = import_member("--fallback-task", path, "my_app.worker:fallback")
    try:
        return check_task_function(member)
    except InvalidTaskError as error:
        fail(f"--fallback-task {path!r}: {error}")


def worker_options(dependencies: str | None, fallback_task: str | None) -> dict[str, Any]:
    """The Worker keyword arguments for these options (only those given)."""
    options: dict[str, Any] = {}
    if dependencies is not None:
        options["dependencies"] = load_dependencies(dependencies)
    if fallback_task is not None:
        options["fallback_task"] = load_fallback_task(fallback_task)
    return options


def serve_metrics_on(port: int) -> Callable[[], None]:
    """Serve /metrics on `port` (returns how to stop), or exit 1 with one line."""
    try:
        return serve_metrics(port)
    except MetricsUnavailableError:
        fail("--metrics-port needs the metrics extra: install docket-worker[metrics].")
    except OSError as error:
        fail(f"--metrics-port {port}: cannot serve metrics there: {error.strerror or error}.")


async def serve_health_check(stack: contextlib.AsyncExitStack, worker: Worker, port: int) -> None:
    """Serve the worker's health check on `port` until `stack` closes, or exit 1."""
    try:
        server = await serve_health(worker, port)
    except OSError as error:
        fail(
            f"--healthcheck-port {port}: cannot serve the health check there: "
            f"{error.strerror or error}."
        )
    stack.push_async_callback(server.wait_closed)
    stack.callback(server.close)
