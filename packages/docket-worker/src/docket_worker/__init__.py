"""docket-worker: the Worker that runs docket tasks. Users import it as ``docket.Worker``.

Layering: this package uses docket's public API plus these client internals, safe because the
versions are pinned ``==``: ``_backends``, ``_kernels`` (types), ``_markers``, ``_scripts``,
``_speedups``, ``_tasks``, ``_telemetry``, ``_time``, ``_wire``.
"""

from ._worker import Worker as Worker
from ._worker import WorkerStatistics as WorkerStatistics

Worker.__module__ = "docket"

__all__ = ["Worker", "WorkerStatistics"]
