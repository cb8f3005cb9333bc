"""`docket dashboard`: serve the web dashboard of a docket.

docket_dashboard (Starlette, uvicorn) is imported only when the command runs, so `--help`
stays light. Exit status: 1 when it cannot start (one line says why), 3 when
docket-dashboard is not installed.
"""

from typing import TYPE_CHECKING, Annotated

import typer

from ._options import DEFAULT_DOCKET, DEFAULT_URL, DocketOption, UrlOption, fail, on_docket

if TYPE_CHECKING:
    from docket import Docket

NOT_INSTALLED = 3
"""The exit status when docket-dashboard is not installed."""


async def _reachable(_docket: "Docket") -> None:
    """Nothing: opening the docket (on_docket) is the check."""


def dashboard(
    url: UrlOption = DEFAULT_URL,
    docket: DocketOption = DEFAULT_DOCKET,
    port: Annotated[int, typer.Option(min=1, max=65535, help="The port to serve on.")] = 8787,
    host: Annotated[
        str, typer.Option(help="The address to bind; anything but loopback needs --token.")
    ] = "127.0.0.1",
    token: Annotated[
        str | None,
        typer.Option(
            envvar="DOCKET_DASHBOARD_TOKEN",
            show_default=False,
            help="The token actions need (without it the dashboard only shows).",
        ),
    ] = None,
    read_only: Annotated[
        bool, typer.Option("--read-only", help="Show only: hide and refuse every action.")
    ] = False,
) -> None:
    """Serve a web dashboard of the docket: counts, running work, future and dead letters.

    Exit status: 1 when it cannot start, 3 when docket-dashboard is not installed.
    """
    try:
        import docket_dashboard
        import uvicorn
    except ImportError:
        typer.echo(
            "Error: the dashboard is not installed: run `uv add docket-dashboard`.", err=True
        )
        raise typer.Exit(NOT_INSTALLED) from None
    from docket_dashboard._security import is_loopback

    if not is_loopback(host) and not token:
        fail(f"--host {host} is not loopback: give --token (or DOCKET_DASHBOARD_TOKEN) too.")
    on_docket(docket, url, _reachable)  # an unreachable Redis: one line, not a traceback
    settings = docket_dashboard.DashboardSettings(
        docket=docket, url=url, token=token, read_only=read_only
    )
    uvicorn.run(docket_dashboard.create_app(settings), host=host, port=port, log_level="warning")
