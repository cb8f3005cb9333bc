"""The `docket` command line (Typer): thin wrappers that parse options and call the library."""

import typer

app = typer.Typer(
    help="docket: run workers for a docket of background tasks.", no_args_is_help=True
)


@app.command()
def version() -> None:
    """Print the installed docket version."""
    import docket

    typer.echo(docket.__version__)


def main() -> None:
    app()
