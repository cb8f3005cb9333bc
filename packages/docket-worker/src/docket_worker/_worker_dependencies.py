"""Worker-level dependencies: markers resolved around every task a worker runs.

``Worker(dependencies={"db": Depends(open_db)})`` (or a sequence of markers) resolves each one
for every run, before the task's own markers, whether or not the task asks for it; context
managers stay open while the task runs. A task parameter of that name without a marker of its
own, which the call did not pass, gets the value.
"""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from docket import Retry
from docket._markers import Marker, _TaskArgument
from docket._perpetual import Perpetual
from docket._timeout import Timeout

if TYPE_CHECKING:
    from ._worker import Worker

WorkerDependencies = tuple[tuple[str | None, Marker], ...]
"""(parameter name or None, marker), in the order given."""


def normalise_dependencies(dependencies: object) -> WorkerDependencies:
    """The worker's dependencies as (name, marker) pairs; anything else is a TypeError."""
    if dependencies is None:
        return ()
    if isinstance(dependencies, Mapping):
        pairs: list[tuple[Any, Any]] = list(dependencies.items())
    elif isinstance(dependencies, Sequence) and not isinstance(dependencies, str | bytes):
        pairs = [(None, marker) for marker in dependencies]
    else:
        raise TypeError(
            f"Worker(dependencies={dependencies!r}) takes a mapping of parameter names to "
            'markers ({"db": Depends(open_db)}) or a sequence of markers.'
        )
    for name, marker in pairs:
        _check(name, marker)
    return tuple(pairs)


def _check(name: object, marker: object) -> None:
    where = "Worker(dependencies=...)" if name is None else f"Worker(dependencies[{name!r}])"
    if name is not None and not (isinstance(name, str) and name.isidentifier()):
        raise TypeError(f"{where}: the keys are task parameter names, not {name!r}.")
    if not isinstance(marker, Marker):
        raise TypeError(
            f"{where} got {marker!r}, which is not a docket marker: pass markers such as "
            "Depends(fn), Shared(fn) or CurrentDocket()."
        )
    if isinstance(marker, Retry | Perpetual | Timeout):
        raise TypeError(
            f"{where} got {marker!r}, a policy of one task: give it to the task as a "
            "parameter default instead."
        )
    if isinstance(marker, _TaskArgument) and marker.parameter is None and name is None:
        raise TypeError(
            f"{where} got TaskArgument() without a name: say which argument, "
            'TaskArgument("customer_id"), or give it a key in a mapping.'
        )


_normalised: "WeakKeyDictionary[Worker, tuple[object, WorkerDependencies]]" = WeakKeyDictionary()


def worker_dependencies(worker: "Worker") -> WorkerDependencies:
    """The dependencies of `worker`, normalised once (again if they were replaced)."""
    source = worker.dependencies
    cached = _normalised.get(worker)
    if cached is None or cached[0] is not source:
        cached = _normalised[worker] = (source, normalise_dependencies(source))
    return cached[1]
