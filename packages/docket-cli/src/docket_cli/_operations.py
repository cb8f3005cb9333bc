"""`docket workers ls | for-task NAME`, `docket snapshot` and `docket clear`: see which workers
are alive and what a docket holds, and empty it of work no worker has taken.

On a terminal they draw rich tables; elsewhere they print plain lines, and `--json` prints one
JSON document for scripts. Only Typer is imported here (`docket --help` loads this module): the
commands import what they print with (_operations_view: docket, redis, and rich on a terminal)
when they run.
"""

import sys
from typing import Annotated

import typer

from ._options import DEFAULT_DOCKET, DEFAULT_URL, DocketOption, UrlOption, fail, on_docket

workers_app = typer.Typer(
    name="workers",
    help="The docket's live workers, as their heartbeats advertise them.",
    no_args_is_help=True,
)

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document instead of a table or lines.")
]


@workers_app.command("ls")
def list_workers(
    url: UrlOption = DEFAULT_URL, docket: DocketOption = DEFAULT_DOCKET, as_json: JsonOption = False
) -> None:
    """List the docket's live workers.

    Each one's name, host and pid, when it started and was last heard from, how many tasks it
    runs of how many at once, and the tasks it can run. A worker that stops beating (killed,
    hung, cut off) drops off the list after the docket's missed heartbeats.
    """
    from . import _operations_view as view

    workers = on_docket(docket, url, lambda opened: opened.workers())
    view.print_workers(workers, f"{len(workers)} worker(s) on docket {docket!r}", as_json)


@workers_app.command("for-task")
def workers_for_task(
    task: Annotated[
        str, typer.Argument(metavar="NAME", show_default=False, help="The task's name.")
    ],
    url: UrlOption = DEFAULT_URL,
    docket: DocketOption = DEFAULT_DOCKET,
    as_json: JsonOption = False,
) -> None:
    """List the live workers that can run task NAME."""
    from . import _operations_view as view

    workers = on_docket(docket, url, lambda opened: opened.task_workers(task))
    title = f"{len(workers)} worker(s) on docket {docket!r} can run {task!r}"
    view.print_workers(workers, title, as_json)


def snapshot(
    url: UrlOption = DEFAULT_URL,
    docket: DocketOption = DEFAULT_DOCKET,
    stats: Annotated[
        bool,
        typer.Option("--stats", help="Add counts per task (over the executions listed)."),
    ] = False,
    limit: Annotated[
        int,
        typer.Option(min=1, metavar="N", help="List at most N future and N running executions."),
    ] = 1000,
    as_json: JsonOption = False,
) -> None:
    """Show what the docket holds now.

    Counts of everything: due (parked, waiting for a scheduler), queued (no worker took it
    yet), running (with its worker and for how long), scheduled for later (and the next one
    due), held by strikes, dead letters, and the live workers. Then the executions themselves,
    at most --limit of each kind, soonest first: whatever the docket's size, Redis does a
    bounded amount of work. --stats counts them per task.
    """
    from . import _operations_view as view

    taken = on_docket(docket, url, lambda opened: opened.snapshot(limit))
    view.print_snapshot(taken, docket, stats=stats, as_json=as_json)


def clear(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    url: UrlOption = DEFAULT_URL,
    docket: DocketOption = DEFAULT_DOCKET,
) -> None:
    """Remove every queued, scheduled and held task of the docket.

    Running tasks are left alone: they finish (or retry) as usual. Asks for confirmation
    first, unless --yes; without a terminal to ask on, it refuses unless --yes.
    """
    if not yes:
        if not sys.stdin.isatty():
            fail(f"refusing to clear docket {docket!r} without --yes (no terminal to confirm on).")
        from docket._urls import redact_url

        typer.confirm(
            f"Remove every queued and scheduled task of docket {docket!r} at {redact_url(url)}? "
            "(running tasks stay)",
            abort=True,
        )
    count = on_docket(docket, url, lambda opened: opened.clear())
    typer.echo(f"Cleared {count} tasks from docket {docket!r}")


def add_operation_commands(app: typer.Typer) -> None:
    """Add `docket workers ...`, `docket snapshot` and `docket clear` to the `docket` command."""
    app.add_typer(workers_app)
    app.command("snapshot")(snapshot)
    app.command("clear")(clear)
