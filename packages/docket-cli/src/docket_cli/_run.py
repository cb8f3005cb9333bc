"""`docket worker`: load the task collections, connect, log one start-up line, run, stop on signals.

Signals: the first SIGTERM, SIGINT or SIGHUP calls `Worker.stop()` (stop fetching; running tasks
get the shutdown timeout, then are handed back) and the command exits 0. A second one (or one that
comes while still connecting) cancels the run at once and the command exits 130. Either way
nothing is lost: unfinished messages stay pending in Redis and another worker runs them.
"""

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

from docket import Docket, DocketError, DocketPermissionError, Worker
from docket._codecs import codec_from_environment
from docket._sharding import recorded_shards
from docket._signing import keys_from_environment
from docket._speedups import IMPLEMENTATION, REASON
from docket._urls import redact_url
from docket.tasks import standard_tasks

from ._durations import format_duration
from ._loops import EventLoop, LoopFactory, run_on
from ._opening import opening_error, opening_failure
from ._options import fail
from ._worker_options import serve_health_check, serve_metrics_on, worker_options

logger = logging.getLogger("docket.cli")

FORCED_EXIT_CODE = 130
"""Exit status after a second stop signal cut the graceful shutdown short (128 + SIGINT)."""

STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name)
)
"""Signals that stop the worker; SIGHUP (the terminal or session went away) is one of them,
so a closed terminal hands running work back rather than killing the worker mid-task."""


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """What `docket worker` was asked to do, already parsed."""

    docket: str
    url: str
    tasks: Sequence[str]
    name: str | None
    concurrency: int
    redelivery_timeout: timedelta
    shutdown_timeout: timedelta
    max_deliveries: int
    until_finished: bool
    loop: EventLoop
    schedule_automatic_tasks: bool = True
    dependencies: str | None = None
    """A module:attribute path, imported when the worker starts."""
    fallback_task: str | None = None
    """A module:function path, imported when the worker starts."""
    healthcheck_port: int | None = None
    metrics_port: int | None = None
    shards: int | None = None
    """None: as many as the docket records (docket._sharding)."""


def run(settings: WorkerSettings, factory: LoopFactory | None) -> int:
    """Open the docket, register its task collections and run a worker on the loop `factory`
    makes; returns the exit status (or exits 1 with one line if the docket cannot be used)."""
    opened = docket_of(settings, settings.shards or 1)
    load_tasks(opened, settings.tasks)
    return run_on(factory, run_worker(settings, opened))


def docket_of(settings: WorkerSettings, shards: int) -> Docket:
    """The worker's Docket, or exit 1 with one line if its settings are unusable."""
    try:
        return Docket(
            name=settings.docket,
            url=settings.url,
            signing_keys=keys_from_environment(),
            codec=codec_from_environment(),
            shards=shards,
        )
    except (DocketError, ValueError) as error:  # a docket name or signing key unusable
        fail(str(error))


def load_tasks(docket: Docket, paths: Sequence[str]) -> None:
    """Register every collection, or exit 1 with one line naming the collection and the problem."""
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())  # like `python -m`: task modules in the current directory
    for path in paths:
        try:
            docket.register_collection(path)
        except DocketError as error:  # its message names the collection and what was wrong
            fail(str(error))


def startup_line(worker: Worker, settings: WorkerSettings) -> str:
    docket = worker.docket
    builtin = {name for name, function in docket.tasks.items() if function in standard_tasks}
    tasks = ", ".join(sorted(docket.tasks.keys() - builtin)) or "(none)"
    builtins = ", ".join(sorted(builtin)) or "(none)"
    mode = "until finished" if settings.until_finished else "until stopped"
    return (
        f"worker {worker.name!r} started on docket {docket.name!r} at {redact_url(docket.url)} "
        f"({mode}): concurrency {worker.concurrency}, redelivery timeout "
        f"{format_duration(worker.redelivery_timeout)}, shutdown timeout "
        f"{format_duration(worker.shutdown_timeout)}; tasks: {tasks}; loop: {settings.loop}; "
        f"speedups: {IMPLEMENTATION} ({REASON}); built-in tasks: {builtins}"
        + (f"; shards: {docket.shards}" if docket.shards > 1 else "")
        + "".join(_extras(settings))
    )


def _extras(settings: WorkerSettings) -> list[str]:
    """What the start-up line says of the options that are off their defaults."""
    extras = []
    if settings.fallback_task is not None:
        extras.append(f"; fallback task: {settings.fallback_task}")
    if settings.dependencies is not None:
        extras.append(f"; dependencies: {settings.dependencies}")
    if not settings.schedule_automatic_tasks:
        extras.append("; automatic tasks: not scheduled")
    if settings.metrics_port is not None:
        extras.append(f"; metrics: http://0.0.0.0:{settings.metrics_port}/metrics")
    if settings.healthcheck_port is not None:
        extras.append(f"; health check: http://0.0.0.0:{settings.healthcheck_port}/")
    return extras


class SignalHandler:
    """The first stop signal stops the worker gracefully; a second (or one before the worker
    runs) cancels the main task."""

    def __init__(self, main_task: "asyncio.Task[object]") -> None:
        self.main_task = main_task
        self.worker: Worker | None = None
        self.forced = False

    def __call__(self, signum: signal.Signals) -> None:
        if self.worker is not None and not self.worker.stopping:
            logger.info(
                "%s: stopping; running tasks get up to %s to finish (send it again to exit now)",
                signum.name,
                format_duration(self.worker.shutdown_timeout),
            )
            self.worker.stop()
        elif not self.forced:
            logger.warning(
                "%s: exiting now; unfinished tasks stay pending and will be redelivered",
                signum.name,
            )
            self.forced = True
            self.main_task.cancel()

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        installed = []
        for signum in STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError):  # no add_signal_handler on Windows
                loop.add_signal_handler(signum, self, signum)
                installed.append(signum)
        try:
            yield
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)


async def run_worker(settings: WorkerSettings, docket: Docket) -> int:
    """Run a worker on `docket` (its tasks already registered); returns the exit status."""
    main_task = asyncio.current_task()
    assert main_task is not None
    signals = SignalHandler(main_task)
    with signals.installed():
        try:
            await _serve(settings, docket, signals)
        except asyncio.CancelledError:
            if not signals.forced:
                raise
            main_task.uncancel()
            return FORCED_EXIT_CODE
    return 0


async def as_recorded(settings: WorkerSettings, docket: Docket) -> Docket:
    """`docket`, or the same docket with as many shards as it records (docket._sharding)."""
    shards = await recorded_shards(settings.docket, settings.url)
    if shards == docket.shards:
        return docket
    sharded = docket_of(settings, shards)
    sharded.tasks.update(docket.tasks)  # the table its shard views share
    return sharded


async def _serve(settings: WorkerSettings, docket: Docket, signals: SignalHandler) -> None:
    options = worker_options(settings.dependencies, settings.fallback_task)  # or exit 1
    async with contextlib.AsyncExitStack() as stack:
        if settings.metrics_port is not None:  # before opening: they look for a MeterProvider
            stack.callback(serve_metrics_on(settings.metrics_port))
        try:
            if settings.shards is None:  # as many as the docket records
                docket = await as_recorded(settings, docket)
            await stack.enter_async_context(docket)
            worker = Worker(
                docket,
                name=settings.name,
                concurrency=settings.concurrency,
                redelivery_timeout=settings.redelivery_timeout,
                shutdown_timeout=settings.shutdown_timeout,
                max_deliveries=settings.max_deliveries,
                schedule_automatic_tasks=settings.schedule_automatic_tasks,
                **options,
            )
            await stack.enter_async_context(worker)
        except Exception as error:
            if not opening_error(error):  # a bug: its traceback helps
                raise
            fail(opening_failure(error, settings.url, settings.docket))
        if settings.healthcheck_port is not None:
            await serve_health_check(stack, worker, settings.healthcheck_port)
        logger.info(startup_line(worker, settings))
        signals.worker = worker  # no await until the run starts: a signal cannot come between
        try:
            if settings.until_finished:
                await worker.run_until_finished()
            else:
                await worker.run_forever()
        except DocketPermissionError as error:  # its ACL lacks a command the worker needs
            fail(str(error))
    logger.info("worker %r stopped", worker.name)
