"""`docket dead ls | requeue | purge`: look at and act on messages no worker could run.

docket (and with it redis) is imported inside the commands, so their help stays quick.
"""

from typing import Annotated

import typer

from ._options import DEFAULT_DOCKET, DEFAULT_URL, DocketOption, UrlOption, fail, on_docket

dead_app = typer.Typer(
    name="dead",
    help="Dead letters: messages no worker could run. List, requeue or purge them.",
    no_args_is_help=True,
)


@dead_app.command("ls")
def list_letters(
    url: UrlOption = DEFAULT_URL,
    docket: DocketOption = DEFAULT_DOCKET,
    limit: Annotated[
        int, typer.Option(min=1, metavar="N", help="Show at most this many, oldest first.")
    ] = 1000,
) -> None:
    """List dead letters, oldest first.

    One line each: id, task key, function, and why no worker could run it.
    """
    letters = on_docket(docket, url, lambda opened: opened.dead_letters(limit))
    for letter in letters:
        typer.echo(f"{letter.id}  {letter.key}  {letter.function or '?'}  {letter.reason}")
    more = " (the limit; there may be more)" if len(letters) == limit else ""
    typer.echo(f"{len(letters)} dead letter(s) on docket {docket!r}{more}")


@dead_app.command("requeue")
def requeue(
    key: Annotated[
        str | None,
        typer.Argument(
            metavar="KEY",
            show_default=False,
            help="Requeue only the dead letters of this task key.",
        ),
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Requeue every dead letter.")] = False,
    url: UrlOption = DEFAULT_URL,
    docket: DocketOption = DEFAULT_DOCKET,
) -> None:
    """Put dead letters back on the docket to run again.

    Requeues the letters of task KEY, or every letter with --all. A letter whose key is
    pending again is left where it is. Exits 1 when KEY requeued nothing.
    """
    if (key is None) == (not all_):
        raise typer.BadParameter("give either a task KEY or --all (not both).")
    count = on_docket(docket, url, lambda opened: opened.requeue_dead_letters(key))
    typer.echo(f"requeued {count} dead letter(s) on docket {docket!r}")
    if key is not None and count == 0:
        fail(f"no dead letter of key {key!r} could be requeued (none, or the key is pending).")


@dead_app.command("purge")
def purge(
    key: Annotated[
        str | None,
        typer.Argument(
            metavar="KEY",
            show_default=False,
            help="Delete only the dead letters of this task key (else every one).",
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    url: UrlOption = DEFAULT_URL,
    docket: DocketOption = DEFAULT_DOCKET,
) -> None:
    """Delete dead letters, for good: those of task KEY, or every one.

    Asks for confirmation first, unless --yes. Exits 1 when KEY purged nothing.
    """
    if not yes:
        from docket._urls import redact_url

        which = "every dead letter" if key is None else f"the dead letters of key {key!r}"
        typer.confirm(f"Delete {which} of docket {docket!r} at {redact_url(url)}?", abort=True)
    count = on_docket(docket, url, lambda opened: opened.purge_dead_letters(key))
    typer.echo(f"purged {count} dead letter(s) from docket {docket!r}")
    if key is not None and count == 0:
        fail(f"no dead letter of key {key!r} to purge.")
