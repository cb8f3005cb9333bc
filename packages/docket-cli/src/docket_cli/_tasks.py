"""`docket tasks trace | fail | sleep`: schedule a built-in task from the shell, to see that a
deployment's workers pick up work (they log the trace, the failure, the sleep).

docket (and with it redis) is imported inside the commands, so their help stays quick.
"""

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._durations import format_duration, parse_duration
from ._options import DEFAULT_DOCKET, DEFAULT_URL, DocketOption, UrlOption, on_docket

if TYPE_CHECKING:
    from docket import Docket, Execution

tasks_app = typer.Typer(
    name="tasks",
    help="Schedule docket's built-in tasks (trace, fail, sleep): smoke tests of a deployment.",
    no_args_is_help=True,
)

DelayOption = Annotated[
    timedelta,
    typer.Option(
        parser=parse_duration,
        metavar="DURATION",
        show_default="now",
        help="Schedule it this long from now: 250ms, 30s, 5m, 1h, mm:ss, hh:mm:ss or seconds.",
    ),
]


def schedule(
    name: str, arguments: tuple[Any, ...], delay: timedelta, url: str, docket: str
) -> None:
    """Add built-in task `name` to the docket, due after `delay`; print one line saying so."""

    async def add(opened: "Docket") -> "Execution":
        when = datetime.now(UTC) + delay if delay else None  # None: now
        return await opened.add(name, when=when)(*arguments)

    execution = on_docket(docket, url, add)
    due = execution.when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    soon = f"in {format_duration(delay)}" if delay else "now"
    call = f"{name}({', '.join(map(repr, arguments))})"
    typer.echo(f"scheduled {call} on docket {docket!r}: key {execution.key}, due {due} ({soon})")


@tasks_app.command("trace")
def trace(
    message: Annotated[
        str, typer.Argument(metavar="MESSAGE", help="What the worker logs.")
    ] = "Howdy!",
    delay: DelayOption = timedelta(0),
    url: UrlOption = DEFAULT_URL,
    docket: DocketOption = DEFAULT_DOCKET,
) -> None:
    """Schedule trace: a worker logs MESSAGE.

    At INFO, on logger docket.task.trace, with the task's key, its docket, how long ago it was
    due and the worker's name.
    """
    schedule("trace", (message,), delay, url, docket)


@tasks_app.command("fail")
def fail(
    message: Annotated[
        str, typer.Argument(metavar="MESSAGE", help="What the task's exception says.")
    ] = "Howdy!",
    delay: DelayOption = timedelta(0),
    url: UrlOption = DEFAULT_URL,
    docket: DocketOption = DEFAULT_DOCKET,
) -> None:
    """Schedule fail: it raises an exception with MESSAGE.

    It is tried twice; the worker logs both failures (logger docket.worker).
    """
    schedule("fail", (message,), delay, url, docket)


@tasks_app.command("sleep")
def sleep(
    seconds: Annotated[
        float,
        typer.Argument(metavar="SECONDS", min=0, help="How long the task sleeps, in seconds."),
    ] = 1.0,
    delay: DelayOption = timedelta(0),
    url: UrlOption = DEFAULT_URL,
    docket: DocketOption = DEFAULT_DOCKET,
) -> None:
    """Schedule sleep: it holds one of a worker's slots for SECONDS."""
    schedule("sleep", (seconds,), delay, url, docket)
