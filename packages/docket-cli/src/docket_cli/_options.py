"""Options shared by several commands, and the one way the CLI reports a failure."""

from typing import Annotated, NoReturn

import typer

DEFAULT_URL = "redis://localhost:6379/0"
DEFAULT_DOCKET = "docket"

UrlOption = Annotated[
    str,
    typer.Option(
        "--url",
        metavar="URL",
        envvar="DOCKET_URL",
        help="URL of the docket's Redis: redis://[:password@]host:port/db, rediss:// or unix://.",
    ),
]
DocketOption = Annotated[
    str,
    typer.Option(
        "--docket",
        metavar="NAME",
        envvar="DOCKET_NAME",
        help="Name of the docket, shared by its clients and workers.",
    ),
]


def fail(message: str) -> NoReturn:
    """Print one line (no traceback) on stderr and exit with status 1."""
    typer.echo(f"Error: {' '.join(message.split())}", err=True)
    raise typer.Exit(1)
