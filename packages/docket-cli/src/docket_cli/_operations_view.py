"""What `docket workers` and `docket snapshot` print: rich tables on a terminal, plain lines
elsewhere, one JSON document with --json.

It imports docket (and with it redis), so only those commands load it, once they run; rich is
imported only to draw on a terminal.
"""

import json
import sys
from collections import Counter
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer
from docket import DocketSnapshot, Execution, WorkerInfo

from ._showing import iso

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

Row = list[str]


def duration(seconds: float) -> str:
    """A short human duration: 3.2s, 5m 03s, 2h 05m, 3d 04h."""
    seconds = max(seconds, 0.0)
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h {whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d {whole % 86400 // 3600:02d}h"


def relative(moment: datetime, now: datetime) -> str:
    """``in 5m 03s`` for a time to come, ``3.2s ago`` for one past."""
    delta = (moment - now).total_seconds()
    return f"in {duration(delta)}" if delta > 0 else f"{duration(-delta)} ago"


def _terminal() -> bool:
    return sys.stdout.isatty()


def _console() -> "Console":
    from rich.console import Console

    return Console(highlight=False)


def _table(title: str | None, columns: Sequence[str], rows: Sequence[Row]) -> "Table":
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


# -- workers -------------------------------------------------------------------------------------

WORKER_COLUMNS = ("Name", "Host", "PID", "Started", "Last seen", "Running", "Tasks")


def worker_rows(workers: Collection[WorkerInfo], now: datetime) -> list[Row]:
    return [
        [
            info.name,
            info.host,
            str(info.pid),
            "?" if info.started is None else relative(info.started, now),
            relative(info.last_seen, now),
            f"{info.running}/{info.concurrency}",
            ", ".join(sorted(info.tasks)),
        ]
        for info in workers
    ]


def worker_json(info: WorkerInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "host": info.host,
        "pid": info.pid,
        "started": iso(info.started),
        "last_seen": iso(info.last_seen),
        "concurrency": info.concurrency,
        "running": info.running,
        "tasks": sorted(info.tasks),
    }


def print_workers(workers: Collection[WorkerInfo], title: str, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([worker_json(info) for info in workers]))
        return
    now = datetime.now().astimezone()
    rows = worker_rows(workers, now)
    if _terminal():
        _console().print(_table(title, WORKER_COLUMNS, rows))
        return
    for name, host, pid, started, seen, running, tasks in rows:
        typer.echo(
            f"{name}  host={host}  pid={pid}  started {started}  last seen {seen}  "
            f"running {running}  tasks: {tasks}"
        )
    typer.echo(title)


# -- snapshot ------------------------------------------------------------------------------------


def count_rows(taken: DocketSnapshot) -> list[Row]:
    next_due = "" if taken.next_due is None else f"next due {relative(taken.next_due, taken.taken)}"
    return [
        ["due", str(taken.due_count), "parked, their time has come: waiting for a scheduler"],
        ["queued", str(taken.queued_count), "waiting for a worker"],
        ["running", str(taken.running_count), ""],
        ["scheduled", str(taken.scheduled_count - taken.due_count), next_due],
        ["held", str(taken.held_count), "by strikes"],
        ["dead letters", str(taken.dead_letters), "see `docket dead ls`"],
        ["workers", str(len(taken.workers)), ""],
    ]


def running_rows(taken: DocketSnapshot) -> list[Row]:
    return [
        [
            execution.key,
            execution.function_name,
            execution.worker,
            duration((taken.taken - execution.started).total_seconds()),
        ]
        for execution in taken.running
    ]


def future_rows(taken: DocketSnapshot) -> list[Row]:
    return [
        [
            execution.key,
            execution.function_name,
            execution.state.value,
            f"{iso(execution.when)} ({relative(execution.when, taken.taken)})",
        ]
        for execution in taken.future
    ]


def stats_rows(taken: DocketSnapshot) -> list[Row]:
    """Per task: running, queued, scheduled and total, over the executions listed."""
    counts: dict[str, Counter[str]] = {}
    listed: list[Execution] = [*taken.running, *taken.future]
    for execution in listed:
        state = execution.state.value
        counts.setdefault(execution.function_name, Counter())[state] += 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1].total(), item[0]))
    return [
        [name, str(c["running"]), str(c["queued"]), str(c["scheduled"]), str(c.total())]
        for name, c in ordered
    ]


def shortfall(taken: DocketSnapshot) -> str | None:
    """What the lists leave out, or None when they hold everything."""
    if taken.complete:
        return None
    futures = taken.queued_count + taken.scheduled_count
    return (
        f"listed {len(taken.future)} of {futures} future and {len(taken.running)} of "
        f"{taken.running_count} running executions (at most --limit {taken.limit} of each)"
    )


def snapshot_json(taken: DocketSnapshot, docket: str, stats: bool) -> dict[str, Any]:
    document: dict[str, Any] = {
        "docket": docket,
        "taken": iso(taken.taken),
        "total_tasks": taken.total_tasks,
        "counts": {
            "due": taken.due_count,
            "queued": taken.queued_count,
            "running": taken.running_count,
            "scheduled": taken.scheduled_count,
            "held": taken.held_count,
            "dead_letters": taken.dead_letters,
            "workers": len(taken.workers),
        },
        "next_due": iso(taken.next_due),
        "complete": taken.complete,
        "limit": taken.limit,
        "running": [
            {
                "key": execution.key,
                "function": execution.function_name,
                "worker": execution.worker,
                "started": iso(execution.started),
                "when": iso(execution.when),
                "attempt": execution.attempt,
            }
            for execution in taken.running
        ],
        "future": [
            {
                "key": execution.key,
                "function": execution.function_name,
                "state": execution.state.value,
                "when": iso(execution.when),
                "attempt": execution.attempt,
            }
            for execution in taken.future
        ],
        "workers": [worker_json(info) for info in taken.workers],
    }
    if stats:
        document["stats"] = {
            name: {"running": int(r), "queued": int(q), "scheduled": int(s), "total": int(t)}
            for name, r, q, s, t in stats_rows(taken)
        }
    return document


Section = tuple[str, Sequence[str], list[Row]]


def print_snapshot(taken: DocketSnapshot, docket: str, *, stats: bool, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(snapshot_json(taken, docket, stats)))
        return
    title = f"Docket {docket!r} at {iso(taken.taken)}: {taken.total_tasks} task(s)"
    sections: list[Section] = [
        ("Running", ("Key", "Function", "Worker", "For"), running_rows(taken)),
        ("Future", ("Key", "Function", "State", "When"), future_rows(taken)),
    ]
    if stats:
        columns = ("Task", "Running", "Queued", "Scheduled", "Total")
        sections.append(("Per task (over the listed executions)", columns, stats_rows(taken)))
    sections.append(("Workers", WORKER_COLUMNS, worker_rows(taken.workers, taken.taken)))
    sections = [section for section in sections if section[2]]
    if _terminal():
        _draw_snapshot(taken, title, sections)
    else:
        _write_snapshot(taken, title, sections)


def _draw_snapshot(taken: DocketSnapshot, title: str, sections: list[Section]) -> None:
    console = _console()
    console.print(_table(title, ("", "Count", ""), count_rows(taken)))
    for name, columns, rows in sections:
        console.print(_table(name, columns, rows))
    missing = shortfall(taken)
    if missing:
        console.print(missing)


def _write_snapshot(taken: DocketSnapshot, title: str, sections: list[Section]) -> None:
    typer.echo(title)
    for what, count, detail in count_rows(taken):
        typer.echo(f"{what}: {count}" + (f" ({detail})" if detail and count != "0" else ""))
    for name, columns, rows in sections:
        typer.echo(f"{name}: " + " | ".join(columns))
        for row in rows:
            typer.echo("  " + " | ".join(row))
    missing = shortfall(taken)
    if missing:
        typer.echo(missing)
