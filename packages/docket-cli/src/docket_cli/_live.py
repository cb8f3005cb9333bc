"""The live view of `docket watch` on a terminal (rich): state, a progress bar with rate and
time left, worker and running time, then the result or the error.

Only watch imports it, and only when stdout is a terminal, so no other command loads rich.
"""

from rich.console import Console, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from ._showing import iso, progress_text, seconds
from ._watching import Watched

STATE_STYLES = {
    "scheduled": "cyan",
    "queued": "cyan",
    "running": "yellow",
    "completed": "green",
    "failed": "red",
    "cancelled": "magenta",
}
BAR_WIDTH = 30
REFRESHES_PER_SECOND = 4
"""Redraws between events, so the running time goes on counting."""


def clock(duration: float) -> str:
    """Seconds as m:ss, or h:mm:ss from an hour on."""
    hours, rest = divmod(round(duration), 3600)
    minutes, whole_seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{whole_seconds:02}" if hours else f"{minutes}:{whole_seconds:02}"


class LiveView:
    """Redrawn in place on each event and a few times a second; the last drawing stays."""

    def __init__(self, watched: Watched, console: Console | None = None) -> None:
        self.watched = watched
        self._live = Live(
            self, console=console, refresh_per_second=REFRESHES_PER_SECOND, transient=False
        )

    def __enter__(self) -> "LiveView":
        self._live.start()
        return self

    def __exit__(self, *exception: object) -> None:
        self._live.stop()

    def changed(self, event: object) -> None:
        self._live.refresh()

    def finished(self) -> None:
        self._live.refresh()

    def __rich__(self) -> RenderableType:
        # Called from rich's refresh thread too: it only reads `watched`, never iterates it.
        return render(self.watched)


def render(watched: Watched) -> Panel:
    """The panel for what is known now. Every value is Text: never read as rich markup."""
    rows = Table.grid(padding=(0, 2))
    rows.add_column(style="bold", no_wrap=True)
    rows.add_column()
    rows.add_row("key", Text(watched.key))
    rows.add_row("call", Text(watched.call))
    rows.add_row("state", Text(watched.state, style=STATE_STYLES.get(watched.state, "")))
    if watched.state in ("scheduled", "queued"):
        rows.add_row("due", Text(iso(watched.when) or "-"))
    rows.add_row("progress", progress(watched))
    rows.add_row("worker", Text(watched.worker or "-"))
    duration = watched.duration
    rows.add_row("duration", Text("-" if duration is None else seconds(duration)))
    if watched.state == "completed" and watched.result is not None:
        rows.add_row("result", Text(watched.result, style="green"))
    if watched.error and watched.state != "completed":
        rows.add_row("error", Text(watched.error, style="red"))
    return Panel(rows, title="docket watch", title_align="left", expand=False)


def progress(watched: Watched) -> RenderableType:
    """The bar, the count and percentage, while running the rate and time left, the message."""
    if watched.current is None and not watched.message:
        return Text("-")  # the task reports no progress (or not yet)
    current, total = watched.current or 0, watched.total
    parts = [progress_text(current, total, None)]
    rate = watched.pace.rate
    if watched.state == "running" and rate is not None:
        parts.append(f"{rate:.1f}/s")
        eta = watched.pace.eta(current, total)
        if eta is not None:
            parts.append(f"eta {clock(eta)}")
    if watched.message:
        parts.append(watched.message)
    row = Table.grid(padding=(0, 1))
    bar = ProgressBar(total=max(total, 1), completed=min(current, total), width=BAR_WIDTH)
    row.add_row(bar, Text("  ".join(parts)))
    return row
