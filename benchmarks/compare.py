"""docket against the original pydocket, side by side on one private Redis server.

    uv run benchmarks/compare.py                  # 3 interleaved rounds, a few minutes
    uv run benchmarks/compare.py --quick --rounds 1
    uv run benchmarks/compare.py --redis-server /path/to/redis-server
    uv run benchmarks/compare.py --redis-url redis://127.0.0.1:6380/0

pydocket is installed from PyPI into a throwaway virtual environment under the system temp
directory (never into this workspace). Both packages import as `docket`, so every measurement
runs in its own process, `benchmarks/_compare_runner.py`, under this workspace's Python for
docket and under that environment's Python for pydocket, each with its defaults. Rounds are
interleaved: for each measure, docket then pydocket, round after round. The table shows the
median of the rounds and docket's figure divided by pydocket's.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import redis_server  # noqa: E402

RUNNER = Path(__file__).with_name("_compare_runner.py")
SYSTEMS = ("docket", "pydocket")
DEFAULT_VENV = Path(tempfile.gettempdir()) / "docket-compare-pydocket"
KILL_GRACE = 120.0
"""Seconds past --timeout before a measurement process that does not stop is killed."""
ERROR_LINE = re.compile(r"^(?:[\w.]+\.)?(\w+(?:Error|Exception|Warning)): ?(.*)$")


@dataclass(frozen=True, slots=True)
class Sizes:
    enqueue: int
    bulk: int
    drain: int
    probes: int


FULL = Sizes(enqueue=2000, bulk=20_000, drain=20_000, probes=200)
QUICK = Sizes(enqueue=500, bulk=5000, drain=5000, probes=50)


@dataclass(frozen=True, slots=True)
class Measure:
    """One measurement the runner makes, and the rows of the table it fills."""

    name: str
    runner: str
    n: int
    rows: tuple[tuple[str, str, str], ...]
    """(figure, label, unit) per row; unit "tasks/s", "ms" or "count" (summed over rounds)."""
    concurrency: int = 10


def measures(sizes: Sizes) -> list[Measure]:
    spread = f"{sizes.probes} tasks due within 2 s"
    drains = [
        Measure(
            f"drain-{concurrency}",
            "drain",
            sizes.drain,
            ((f"drain-{concurrency}", f"drain {sizes.drain:,} queued no-ops, 1 worker, "
              f"concurrency {concurrency}", "tasks/s"),),
            concurrency,
        )
        for concurrency in (10, 100)
    ]  # fmt: skip
    return [
        Measure("enqueue", "enqueue", sizes.enqueue,
                (("enqueue", f"enqueue {sizes.enqueue:,}, one awaited add at a time",
                  "tasks/s"),)),
        Measure("bulk", "bulk", sizes.bulk,
                (("bulk", f"bulk enqueue {sizes.bulk:,}", "tasks/s"),)),
        *drains,
        Measure("latency", "latency", sizes.probes, (
            ("latency-p50", f"idle worker, enqueue-to-start p50, {sizes.probes} tasks", "ms"),
            ("latency-p99", f"idle worker, enqueue-to-start p99, {sizes.probes} tasks", "ms"),
        )),
        Measure("lateness", "lateness", sizes.probes, (
            ("lateness-p50", f"{spread}: lateness p50", "ms"),
            ("lateness-p99", f"{spread}: lateness p99", "ms"),
            ("early", f"{spread}: early starts (all rounds)", "count"),
        )),
    ]  # fmt: skip


@dataclass
class Outcome:
    """What one run of one measure returned, or how it failed."""

    figures: dict[str, float] | None = None
    failure: str | None = None
    timed_out: bool = False
    partial_rate: float | None = None
    method: str | None = None
    errors: Counter[str] = field(default_factory=Counter)


@dataclass
class System:
    name: str
    python: Path
    info: dict[str, Any] = field(default_factory=dict)
    outcomes: dict[str, list[Outcome]] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return str(self.info.get("version", "?"))


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller N (500/5,000/50 probes)")
    server = parser.add_mutually_exclusive_group()
    server.add_argument(
        "--redis-server",
        metavar="PATH",
        help="redis-server binary for the private server (default: the one the tests use)",
    )
    server.add_argument("--redis-url", help="use this existing server instead of a private one")
    parser.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds each measurement may take (its timed part); default 60",
    )
    parser.add_argument(
        "--repeat-timeouts",
        action="store_true",
        help="measure again in later rounds what timed out in an earlier one",
    )
    parser.add_argument("--pydocket", default="pydocket", help="requirement to install")
    parser.add_argument("--pydocket-venv", type=Path, default=DEFAULT_VENV)
    return parser.parse_args()


# -- setup ------------------------------------------------------------------------------------


def uv_command() -> list[str]:
    """uv itself: the one running us (`uv run` sets $UV), on PATH, or `python -m uv`."""
    found = os.environ.get("UV") or shutil.which("uv")
    if found:
        return [found]
    for python in (sys.executable, shutil.which("python3")):
        probe = [python, "-m", "uv", "--version"] if python else None
        if probe and subprocess.run(probe, capture_output=True).returncode == 0:
            return probe[:3]
    raise SystemExit("uv not found: run this with `uv run benchmarks/compare.py`.")


def pydocket_python(venv: Path, requirement: str) -> Path:
    """A virtual environment with pydocket (created on first use, then reused)."""
    uv = uv_command()
    python = venv / "bin" / "python"
    if not python.exists():
        base = getattr(sys, "_base_executable", sys.executable)
        log(f"creating {venv} for {requirement} (Python {base})")
        subprocess.run([*uv, "venv", "--quiet", "--python", base, str(venv)], check=True)
    subprocess.run(
        [*uv, "pip", "install", "--quiet", "--python", str(python), requirement], check=True
    )
    return python


def check_binary(path: str) -> str:
    if not os.path.exists(path):
        dangling = os.path.islink(path)
        target = f" (a symlink to {os.readlink(path)!r}, which does not exist)" if dangling else ""
        raise SystemExit(f"--redis-server {path} does not exist{target}.")
    return path


@contextmanager
def redis_url(arguments: argparse.Namespace) -> Iterator[tuple[str, str]]:
    """The URL of the server to use, and a description of it."""
    if arguments.redis_url:
        yield arguments.redis_url, "existing server"
        return
    binary = check_binary(arguments.redis_server or redis_server.redis_server_binary())
    server = redis_server.RedisServer(binary=binary)
    server.start()
    try:
        yield server.url, f"{binary}, private, port {server.port}"
    finally:
        server.cleanup()


def server_version(url: str) -> str:
    client = redis.Redis.from_url(url)
    try:
        info: dict[str, Any] = client.info("server")
        return str(info["redis_version"])
    finally:
        client.close()


def delete_docket(url: str, name: str) -> None:
    """Remove every key of a measurement's docket (its name is unique to it)."""
    client = redis.Redis.from_url(url)
    try:
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"*{name}*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                client.unlink(*batch)
                batch.clear()
        if batch:
            client.unlink(*batch)
    finally:
        client.close()


# -- running ------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_runner(
    system: System, arguments: list[str], limit: float
) -> tuple[dict[str, Any] | None, str]:
    """Run the runner in `system`'s Python; its result line (None if none) and its stderr."""
    command = [str(system.python), "-I", str(RUNNER), "--system", system.name, *arguments]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired as expired:
        stderr = expired.stderr or b""
        text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
        return {"timeout": limit, "killed": True}, text
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
            return result, done.stderr
    return None, done.stderr


def error_lines(stderr: str) -> Counter[str]:
    """The exceptions a run printed (tracebacks logged and survived, or fatal)."""
    found: Counter[str] = Counter()
    for line in stderr.splitlines():
        match = ERROR_LINE.match(line.strip())
        if match:
            found[f"{match[1]}: {match[2]}".rstrip(": ")] += 1
    return found


def outcome_of(result: dict[str, Any] | None, stderr: str, timeout: float) -> Outcome:
    errors = error_lines(stderr)
    if result is None:
        last = stderr.strip().splitlines()[-1:] or ["no output"]
        return Outcome(failure=f"error: {last[0][:80]}", errors=errors)
    if "timeout" in result:
        failure = f"timeout (>{timeout:g} s)"
        if result.get("killed"):
            failure = f"timeout (>{timeout:g} s, killed)"
        rate = None
        if "ran" in result:
            failure += f": {result['ran']:,} of {result['of']:,} ran"
            stalled_at = result.get("last")
            if stalled_at is not None and timeout - stalled_at > 5:
                failure += f", none after {stalled_at:.0f} s"
            rate = result["ran"] / timeout
        return Outcome(failure=failure, timed_out=True, partial_rate=rate, errors=errors)
    if "error" in result:
        return Outcome(failure=f"error: {result['error']}", errors=errors)
    return Outcome(figures=result["figures"], method=result.get("method"), errors=errors)


def describe(measure: Measure, outcome: Outcome) -> str:
    if outcome.figures is None:
        return str(outcome.failure)
    return ", ".join(
        f"{figure} {format_value(outcome.figures[figure], unit)}"
        for figure, _, unit in measure.rows
    )


def run_measure(system: System, measure: Measure, url: str, timeout: float) -> Outcome:
    name = f"cmp-{system.name}-{measure.name}-{uuid.uuid4().hex[:12]}"
    arguments = ["--measure", measure.runner, "--url", url, "--name", name]
    arguments += ["--n", str(measure.n), "--concurrency", str(measure.concurrency)]
    arguments += ["--timeout", str(timeout)]
    started = time.monotonic()
    result, stderr = run_runner(system, arguments, timeout + KILL_GRACE)
    outcome = outcome_of(result, stderr, timeout)
    try:
        delete_docket(url, name)
    except redis.RedisError as error:
        log(f"  (could not delete the keys of {name}: {error})")
    elapsed = time.monotonic() - started
    log(f"  {system.name:<8} {measure.name:<9} {describe(measure, outcome)}  ({elapsed:.1f} s)")
    for line, count in outcome.errors.items():
        log(f"           stderr: {line} (x{count})")
    return outcome


def run_all(
    systems: list[System], plan: list[Measure], url: str, arguments: argparse.Namespace
) -> None:
    for round_number in range(1, arguments.rounds + 1):
        log(f"round {round_number} of {arguments.rounds}")
        for measure in plan:
            for system in systems:
                before = system.outcomes.setdefault(measure.name, [])
                if not arguments.repeat_timeouts and any(o.timed_out for o in before):
                    log(f"  {system.name:<8} {measure.name:<9} skipped: timed out before")
                    continue
                before.append(run_measure(system, measure, url, arguments.timeout))


# -- the table ----------------------------------------------------------------------------------


def format_value(value: float, unit: str) -> str:
    if unit == "tasks/s":
        return f"{value:,.0f}"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


def format_ratio(ratio: float, approximate: bool = False) -> str:
    digits = ".2g" if ratio < 0.1 else ".2f" if ratio < 10 else ",.0f"
    text = f"{ratio:{digits}}x"
    return f"~{text}" if approximate else text


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    value: float | None = None
    estimate: float | None = None
    """A rate from a run that timed out, for an approximate ratio."""


def cell(outcomes: list[Outcome], figure: str, unit: str, n: int, rounds: int) -> Cell:
    values = [o.figures[figure] for o in outcomes if o.figures is not None]
    failed = [o for o in outcomes if o.figures is None]
    if not values:
        if not failed:
            return Cell("not run")
        rates = [o.partial_rate for o in failed if o.partial_rate is not None]
        estimate = statistics.median(rates) if rates else None
        text = str(failed[0].failure)
        if estimate is not None:
            text += f" (~{estimate:,.0f} tasks/s)"
        return Cell(text, estimate=estimate)
    value = sum(values) if unit == "count" else statistics.median(values)
    text = format_value(value, unit)
    if unit == "count":
        text += f" of {n * len(values):,}"
    if failed:
        text += f" ({len(failed)} of {len(outcomes)} rounds: {failed[0].failure})"
    elif len(values) < rounds:
        text += f" ({len(values)} rounds)"
    return Cell(text, value=value)


def ratio(ours: Cell, theirs: Cell, unit: str) -> str:
    if unit == "count" or ours.value is None:
        return "-"
    if theirs.value is not None:
        return format_ratio(ours.value / theirs.value) if theirs.value else "-"
    if theirs.estimate:
        return format_ratio(ours.value / theirs.estimate, approximate=True)
    return "-"


def bulk_label(label: str, systems: list[System]) -> str:
    methods = {
        system.name: next((o.method for o in system.outcomes.get("bulk", []) if o.method), "?")
        for system in systems
    }
    if len(set(methods.values())) == 1:
        return f"{label}: `{next(iter(methods.values()))}` in both"
    return label + ": " + "; ".join(f"{name} {method}" for name, method in methods.items())


def table(systems: list[System], plan: list[Measure], rounds: int) -> list[str]:
    ours, theirs = systems
    lines = [
        f"| measure (median of {rounds}) | docket {ours.version} "
        f"| pydocket {theirs.version} | ratio |",
        "|---|---:|---:|---:|",
    ]
    for measure in plan:
        for figure, label, unit in measure.rows:
            if measure.name == "bulk":
                label = bulk_label(label, systems)
            unit_text = "" if unit == "count" else f" ({unit})"
            a = cell(ours.outcomes.get(measure.name, []), figure, unit, measure.n, rounds)
            b = cell(theirs.outcomes.get(measure.name, []), figure, unit, measure.n, rounds)
            lines.append(f"| {label}{unit_text} | {a.text} | {b.text} | {ratio(a, b, unit)} |")
    return lines


def header(systems: list[System], version: str, where: str) -> list[str]:
    lines = [f"Redis {version} ({where})"]
    for system in systems:
        info = system.info
        extras = [f"Python {info.get('python', '?')}", f"redis-py {info.get('redis-py', '?')}"]
        extras.append("hiredis" if info.get("hiredis") else "no hiredis")
        if "kernels" in info:
            extras.append(f"kernels: {info['kernels']}")
        lines.append(f"{system.name} {system.version} ({', '.join(extras)}; {system.python})")
    return lines


def notes(systems: list[System]) -> list[str]:
    lines = [
        "ratio = docket / pydocket: above 1 is better for tasks/s, below 1 is better for ms;"
        " `~` marks a ratio against the rate of a run that timed out.",
    ]
    for system in systems:
        for name, outcomes in system.outcomes.items():
            errors: Counter[str] = Counter()
            for outcome in outcomes:
                errors.update(outcome.errors)
            for error, count in errors.most_common(3):
                lines.append(f"{system.name} {name}: stderr showed `{error}` {count}x")
    return lines


# -- main -------------------------------------------------------------------------------------


def main() -> None:
    arguments = parse_arguments()
    plan = measures(QUICK if arguments.quick else FULL)
    systems = [
        System("docket", Path(sys.executable)),
        System("pydocket", pydocket_python(arguments.pydocket_venv, arguments.pydocket)),
    ]
    for system in systems:
        result, stderr = run_runner(system, ["--measure", "info"], 120)
        if result is None:
            raise SystemExit(f"{system.name} does not import:\n{stderr}")
        system.info = result
    with redis_url(arguments) as (url, where):
        version = server_version(url)
        log(f"Redis {version} at {url} ({where})")
        started = time.monotonic()
        run_all(systems, plan, url, arguments)
        log(f"measured in {time.monotonic() - started:.0f} s\n")
    print("\n".join(header(systems, version, where)))
    print(
        f"{arguments.rounds} rounds, interleaved (docket, then pydocket, per measure); "
        f"each measurement in its own process, timeout {arguments.timeout:g} s"
    )
    print()
    print("\n".join(table(systems, plan, arguments.rounds)))
    print()
    print("\n".join(notes(systems)))


if __name__ == "__main__":
    main()
