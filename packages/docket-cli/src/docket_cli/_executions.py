"""`docket show KEY` and `docket watch KEY`: the record of one execution, printed once or
followed live until it finishes.

Exit status: 0 shown (show) or completed (watch); 1 failed or cancelled (watch says which), or
a failure reported in one line on stderr (Redis unreachable, a memory:// URL); 2 a usage error;
3 no execution has that key (never added, or finished longer ago than the docket's
execution_ttl); 130 watch stopped by Ctrl-C.

Only Typer is imported here, as `docket --help` loads this module: the commands import what
they print with (_showing, _watching, _live: docket, redis and rich) when they run.
"""

from typing import Annotated, NoReturn

import typer

from ._options import DEFAULT_DOCKET, DEFAULT_URL, DocketOption, UrlOption, on_docket

UNKNOWN_KEY = 3
"""Exit status when no execution has the key."""
INTERRUPTED = 130
"""Exit status of a watch stopped by Ctrl-C (as a shell reports SIGINT)."""

executions_app = typer.Typer()  # no name: its commands are `docket show` and `docket watch`

KeyArgument = Annotated[
    str, typer.Argument(metavar="KEY", show_default=False, help="The task key of the execution.")
]


def unknown_key(key: str, docket: str) -> NoReturn:
    """Say on stderr that no execution has `key`, in one line; exit 3."""
    typer.echo(
        f"no execution with key {key!r} on docket {docket!r} "
        "(finished executions are kept for execution_ttl)",
        err=True,
    )
    raise typer.Exit(UNKNOWN_KEY)


@executions_app.command("show")
def show(
    key: KeyArgument,
    url: UrlOption = DEFAULT_URL,
    docket: DocketOption = DEFAULT_DOCKET,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of lines.")
    ] = False,
) -> None:
    """Print the record of the execution of task KEY once.

    Its call, state, due time, attempt, worker, start and finish, progress, error and (once
    completed) result. Times are ISO 8601 UTC; with --json, arguments and result are reprs.

    Exit status: 3 when no execution has KEY (finished ones are kept for the docket's
    execution_ttl), 1 when Redis cannot be reached (one line on stderr says why).
    """
    from . import _showing  # docket and redis: loaded only to read a record

    shown = on_docket(docket, url, lambda opened: _showing.look_up(opened, key))
    if shown is None:
        unknown_key(key, docket)
    typer.echo(_showing.as_json(shown) if as_json else _showing.as_text(shown))


@executions_app.command("watch")
def watch(
    key: KeyArgument,
    url: UrlOption = DEFAULT_URL,
    docket: DocketOption = DEFAULT_DOCKET,
) -> None:
    """Follow the execution of task KEY live until it finishes.

    On a terminal: its state, a progress bar with rate and time left, worker and running time,
    then its result or error. Elsewhere one line per change (state, progress), then one line
    saying how it ended.

    Exit status: 0 completed, 1 failed or cancelled (the last line says which) or Redis cannot
    be reached, 3 when no execution has KEY, 130 stopped by Ctrl-C.
    """
    from . import _watching  # docket and redis, and rich on a terminal

    try:
        watched = on_docket(docket, url, lambda opened: _watching.follow(opened, key))
    except KeyboardInterrupt:
        raise typer.Exit(INTERRUPTED) from None
    if watched is None:
        unknown_key(key, docket)
    raise typer.Exit(0 if watched.state == "completed" else 1)
