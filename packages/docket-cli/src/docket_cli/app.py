"""The `docket` command line (Typer): thin wrappers that parse options and call the library.

Exit status: 0 done (or stopped by one SIGTERM/SIGINT/SIGHUP), 1 a failure reported in one line
on stderr (a bad --tasks, --dependencies or --fallback-task path, Redis unreachable, a memory://
URL, uvloop asked for but missing), 2 a usage error, 130 stopped at once by a second signal;
`show` and `watch` add their own (3: no execution has that key; see _executions.py).

Start-up cost: this module imports only Typer and the CLI's own light modules. docket,
docket_worker and redis are imported inside the commands that open a docket, so `docket --help`
(of any command) and `docket version` never load them; tests/cli/test_startup_imports.py checks it.
"""

import gc
from datetime import timedelta
from typing import Annotated

import typer

from ._acl import acl
from ._dashboard import dashboard
from ._dead import dead_app
from ._durations import parse_duration, parse_positive_duration
from ._executions import executions_app
from ._logging import LogFormat, LogLevel, configure_logging
from ._loops import EventLoop, default_loop, loop_factory
from ._operations import add_operation_commands
from ._options import DEFAULT_DOCKET, DEFAULT_URL, DocketOption, UrlOption
from ._strikes import add_strike_commands
from ._tasks import tasks_app

MAX_CONCURRENCY = 100_000
"""Far more than one process usefully runs at once; a huge value made Redis refuse the
worker's reads (a COUNT out of range) with a traceback."""

app = typer.Typer(
    help="docket: run workers for a docket of background tasks, schedule its built-in tasks, "
    "and manage its dead letters.",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help and one-line usage errors, also in logs and CI output
    pretty_exceptions_show_locals=False,  # locals may hold a Redis URL with its password
)
app.add_typer(dead_app)
app.add_typer(tasks_app)
app.add_typer(executions_app)


def split_collections(values: list[str]) -> list[str]:
    """DOCKET_TASKS holds comma-separated paths; --tasks a:b,c:d is accepted the same way."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@app.command()
def version() -> None:
    """Print the installed docket version."""
    import importlib.metadata  # docket.__version__ is this, without loading docket and redis

    typer.echo(importlib.metadata.version("docket-client"))


@app.command()
def worker(
    tasks: Annotated[
        list[str],
        typer.Option(
            "--tasks",
            metavar="MODULE:ATTR",
            envvar="DOCKET_TASKS",
            callback=split_collections,
            show_default=False,
            help="A task collection to run, as module:attribute naming a list of async "
            "functions. Repeat it for several; DOCKET_TASKS takes them comma-separated.",
        ),
    ] = [],  # noqa: B006 (Typer copies list defaults)
    url: UrlOption = DEFAULT_URL,
    docket: DocketOption = DEFAULT_DOCKET,
    name: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            envvar="DOCKET_WORKER_NAME",
            show_default="hostname#pid",
            help="This worker's name, unique among the docket's workers.",
        ),
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option(
            min=1,
            max=MAX_CONCURRENCY,
            metavar="N",
            envvar="DOCKET_WORKER_CONCURRENCY",
            help="How many tasks run at once.",
        ),
    ] = 10,
    shards: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=1024,
            metavar="N",
            envvar="DOCKET_SHARDS",
            show_default="as the docket records (1 if never sharded)",
            help="The docket's number of shards (Docket(shards=N)); the worker consumes all.",
        ),
    ] = None,
    redelivery_timeout: Annotated[
        timedelta,
        typer.Option(
            parser=parse_positive_duration,
            metavar="DURATION",
            envvar="DOCKET_WORKER_REDELIVERY_TIMEOUT",
            show_default="5m",
            help="How long the tasks of a worker that died wait before another worker runs "
            "them; longer than your longest task.",
        ),
    ] = timedelta(minutes=5),
    shutdown_timeout: Annotated[
        timedelta,
        typer.Option(
            parser=parse_duration,
            metavar="DURATION",
            envvar="DOCKET_WORKER_SHUTDOWN_TIMEOUT",
            show_default="30s",
            help="On SIGTERM/SIGINT/SIGHUP, how long running tasks get to finish before they "
            "are handed back to other workers.",
        ),
    ] = timedelta(seconds=30),
    max_deliveries: Annotated[
        int,
        typer.Option(
            min=1,
            metavar="N",
            envvar="DOCKET_WORKER_MAX_DELIVERIES",
            help="A message delivered more often than this without finishing (its workers "
            "keep dying) becomes a dead letter.",
        ),
    ] = 5,
    logging_level: Annotated[
        LogLevel,
        typer.Option(envvar="DOCKET_LOGGING_LEVEL", case_sensitive=False, help="Log level."),
    ] = LogLevel.INFO,
    logging_format: Annotated[
        LogFormat | None,
        typer.Option(
            envvar="DOCKET_LOGGING_FORMAT",
            case_sensitive=False,
            show_default="rich on a terminal, else plain",
            help="Log format, on stderr; rich needs the rich package (else plain is used).",
        ),
    ] = None,
    loop: Annotated[
        EventLoop | None,
        typer.Option(
            envvar="DOCKET_WORKER_LOOP",
            case_sensitive=False,
            show_default="uvloop if installed, else asyncio",
            help="The event loop; uvloop needs `uv add uvloop` (docket-cli's uvloop extra).",
        ),
    ] = None,
    until_finished: Annotated[
        bool,
        typer.Option(
            "--until-finished",
            help="Exit once no task is left: due, queued, running or scheduled for later.",
        ),
    ] = False,
    schedule_automatic_tasks: Annotated[
        bool,
        typer.Option(
            "--schedule-automatic-tasks/--no-schedule-automatic-tasks",
            envvar="DOCKET_WORKER_SCHEDULE_AUTOMATIC_TASKS",
            help="Start the chains of the automatic Perpetual and Cron tasks (and start one "
            "again if it was lost). Off: this worker only runs what is scheduled.",
        ),
    ] = True,
    dependencies: Annotated[
        str | None,
        typer.Option(
            "--dependencies",
            metavar="MODULE:ATTR",
            envvar="DOCKET_WORKER_DEPENDENCIES",
            show_default=False,
            help="Dependencies applied around every task, as module:attribute naming a "
            "mapping of names to markers ({'db': Depends(open_db)}) or a sequence of markers.",
        ),
    ] = None,
    healthcheck_port: Annotated[
        int | None,
        typer.Option(
            "--healthcheck-port",
            min=1,
            max=65535,
            metavar="PORT",
            envvar="DOCKET_WORKER_HEALTHCHECK_PORT",
            show_default=False,
            help="Serve a health check on this port: 200 while the worker is connected and "
            "fetching, 503 with the reason otherwise.",
        ),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            min=1,
            max=65535,
            metavar="PORT",
            envvar="DOCKET_WORKER_METRICS_PORT",
            show_default=False,
            help="Serve Prometheus metrics on this port (/metrics); needs docket-worker[metrics].",
        ),
    ] = None,
    fallback_task: Annotated[
        str | None,
        typer.Option(
            "--fallback-task",
            metavar="MODULE:FUNCTION",
            envvar="DOCKET_FALLBACK_TASK",
            show_default=False,
            help="An async function to run for a message whose task no worker registered, with "
            "its arguments and dependency injection (default: offer it again for a while, "
            "then dead-letter it).",
        ),
    ] = None,
) -> None:
    """Run the tasks of a docket until stopped.

    Durations are written 250ms, 30s, 5m, 1h, mm:ss, hh:mm:ss (1:5 and 0:0:10 too) or as
    plain seconds (2.5), up to 365 days.

    The first SIGTERM, SIGINT or SIGHUP stops fetching and gives running tasks the shutdown
    timeout to finish (exit 0); a second one exits at once (exit 130). Unfinished tasks are not
    lost: they stay pending in Redis and another worker runs them.

    Exit status: 1 when it cannot start (one line on stderr says why), 2 for a usage error.
    """
    if not tasks:
        raise typer.BadParameter(
            "name at least one task collection (or set DOCKET_TASKS).", param_hint="'--tasks'"
        )
    configure_logging(logging_level, logging_format)
    chosen_loop = loop or default_loop()
    factory = loop_factory(chosen_loop)
    from . import _run  # docket, docket_worker and redis: loaded only to run a worker

    settings = _run.WorkerSettings(
        docket=docket,
        url=url,
        tasks=tasks,
        name=name,
        concurrency=concurrency,
        shards=shards,
        redelivery_timeout=redelivery_timeout,
        shutdown_timeout=shutdown_timeout,
        max_deliveries=max_deliveries,
        until_finished=until_finished,
        loop=chosen_loop,
        schedule_automatic_tasks=schedule_automatic_tasks,
        dependencies=dependencies,
        fallback_task=fallback_task,
        healthcheck_port=healthcheck_port,
        metrics_port=metrics_port,
    )
    raise typer.Exit(_run.run(settings, factory))


add_strike_commands(app)  # docket strike | restore | strikes
app.command("acl")(acl)  # docket acl producer|worker|operator
app.command("dashboard")(dashboard)  # docket dashboard: the web UI
add_operation_commands(app)  # docket workers ls | for-task, snapshot, clear


def main(prog_name: str = "docket") -> None:
    """Run the `docket` command (the process's entry point); `prog_name` is what usage lines
    call it."""
    # What is loaded so far (Typer, this package) lives as long as the process: keep the
    # garbage collector from walking it again, in later collections and at exit (about a fifth
    # of the time of `docket --help` on a slow machine).
    gc.freeze()
    app(prog_name=prog_name)
