"""One measurement of one system, for `benchmarks/compare.py`; prints one `RESULT {json}` line.

    python -I benchmarks/_compare_runner.py --system docket --measure enqueue \\
        --url redis://127.0.0.1:PORT/0 --name cmp-1234 --n 2000

It runs under this workspace's Python (`--system docket`) or under a throwaway virtual
environment with the original `pydocket` installed (`--system pydocket`). Both import as
`docket`, so this module imports nothing but the standard library and whichever `docket` the
interpreter has, and uses only the API the two agree on: `Docket(name, url)`,
`docket.add(fn, when=, key=)(...)`, `docket.register(fn)`, `Worker(docket, concurrency=)`,
`run_until_finished()` and `run_forever()`. It branches only for bulk enqueue (`add_many`).
Every system runs with its defaults.
"""

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import math
import os
import random
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import docket
from docket import Docket, Worker

DISTRIBUTIONS = {"docket": "docket-client", "pydocket": "pydocket"}
GATHER_BATCH = 1000
IDLE_PAUSE = 0.01
"""Seconds between latency probes, so the worker is back to waiting on Redis for each."""
SPREAD = timedelta(seconds=2)
LEAD = timedelta(seconds=2)
"""How far past the current second the first scheduled task is due; enqueueing ends before."""


class Tally:
    """What the tasks of this process saw."""

    ran = 0
    last = 0.0
    """perf_counter() when the last no-op ran."""
    starts: "asyncio.Queue[tuple[int, float, float]] | None" = None


async def noop(n: int) -> None:
    """A no-op task that counts its runs."""
    Tally.ran += 1
    Tally.last = time.perf_counter()


async def record_start(n: int) -> None:
    """Report when this task started: (n, perf_counter, wall clock)."""
    started = time.perf_counter(), time.time()
    if Tally.starts is not None:
        Tally.starts.put_nowait((n, *started))


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of `samples`."""
    ordered = sorted(samples)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def installed(distribution: str) -> bool:
    try:
        importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def check_system(system: str) -> str:
    """The version of `system`; refuse to measure the other one by mistake."""
    expected = DISTRIBUTIONS[system]
    others = [name for key, name in DISTRIBUTIONS.items() if key != system and installed(name)]
    if not installed(expected) or others:
        raise SystemExit(
            f"this interpreter ({sys.executable}) imports docket from {docket.__file__}, "
            f"but {system} needs {expected} installed and not {', '.join(others) or 'others'}."
        )
    return importlib.metadata.version(expected)


def info(system: str) -> dict[str, Any]:
    details: dict[str, Any] = {
        "version": check_system(system),
        "python": sys.version.split()[0],
        "redis-py": importlib.metadata.version("redis"),
        "hiredis": installed("hiredis"),
    }
    if system == "docket":
        with contextlib.suppress(ImportError, AttributeError):
            from docket import _speedups

            details["kernels"] = _speedups.IMPLEMENTATION
    return details


# -- enqueue ---------------------------------------------------------------------------------


async def bulk_add(docket: Docket, first: int, count: int) -> str:
    """Add `count` no-op tasks with the system's bulk API; return what it used."""
    if hasattr(docket, "add_many") and hasattr(docket, "call"):
        # a fresh `call(noop)` per task: pydocket draws the key when `call` is called
        await docket.add_many([docket.call(noop)(n) for n in range(first, first + count)])
        return "add_many"
    for start in range(first, first + count, GATHER_BATCH):
        batch = range(start, min(start + GATHER_BATCH, first + count))
        await asyncio.gather(*(docket.add(noop)(n) for n in batch))
    return f"n/a: asyncio.gather of add(), {GATHER_BATCH:,} at a time"


async def measure_enqueue(docket: Docket, tasks: int) -> dict[str, Any]:
    await docket.add(noop)(-1)  # warm up: scripts loaded, connection open
    started = time.perf_counter()
    for n in range(tasks):
        await docket.add(noop)(n)
    elapsed = time.perf_counter() - started
    return {"figures": {"enqueue": tasks / elapsed}, "seconds": elapsed}


async def measure_bulk(docket: Docket, tasks: int) -> dict[str, Any]:
    await docket.add(noop)(-1)
    started = time.perf_counter()
    method = await bulk_add(docket, 0, tasks)
    elapsed = time.perf_counter() - started
    return {"figures": {"bulk": tasks / elapsed}, "seconds": elapsed, "method": method}


# -- drain ------------------------------------------------------------------------------------


async def measure_drain(
    docket: Docket, tasks: int, concurrency: int, limit: float
) -> dict[str, Any]:
    await bulk_add(docket, 0, tasks)  # not timed
    Tally.ran = 0
    started = time.perf_counter()
    async with Worker(docket, concurrency=concurrency) as worker:
        deadline = asyncio.timeout(limit - (time.perf_counter() - started))
        try:
            async with deadline:
                await worker.run_until_finished()
        except TimeoutError:
            pass
        if deadline.expired():  # pydocket's run_until_finished returns when cancelled
            last = Tally.last - started if Tally.ran else None
            emit({"timeout": limit, "ran": Tally.ran, "of": tasks, "last": last})
        elapsed = time.perf_counter() - started
    if Tally.ran != tasks:
        return {"error": f"run_until_finished returned after {Tally.ran:,} of {tasks:,} tasks"}
    return {"figures": {f"drain-{concurrency}": tasks / elapsed}, "seconds": elapsed}


# -- latency ----------------------------------------------------------------------------------


async def next_start() -> tuple[int, float, float]:
    assert Tally.starts is not None
    return await Tally.starts.get()


async def with_idle_worker(
    docket: Docket, measure: str, probes: int, limit: float
) -> dict[str, Any]:
    """Start a worker (concurrency 10) running forever, wait for a first task, then probe."""
    Tally.starts = asyncio.Queue()
    docket.register(record_start)
    async with Worker(docket, concurrency=10) as worker:
        running = asyncio.create_task(worker.run_forever())
        try:
            async with asyncio.timeout(limit):
                await docket.add(record_start)(-1)  # warm up: scripts loaded, worker reading
                await next_start()
                if measure == "latency":
                    return await probe_latency(docket, probes)
                return await probe_lateness(docket, probes)
        except TimeoutError:
            emit({"timeout": limit})
            raise
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running


async def probe_latency(docket: Docket, probes: int) -> dict[str, Any]:
    latencies: list[float] = []
    for n in range(probes):
        await asyncio.sleep(IDLE_PAUSE)
        before = time.perf_counter()
        await docket.add(record_start)(n)
        started = await next_start()
        latencies.append((started[1] - before) * 1000)
    figures = {
        "latency-p50": percentile(latencies, 0.5),
        "latency-p99": percentile(latencies, 0.99),
    }
    return {"figures": figures}


async def probe_lateness(docket: Docket, probes: int) -> dict[str, Any]:
    # whole milliseconds (docket keeps due times in ms), out of order, so that earlier ones
    # keep arriving after later ones are already scheduled
    base = datetime.now(UTC).replace(microsecond=0) + LEAD
    spread_ms = SPREAD // timedelta(milliseconds=1)
    whens = [base + timedelta(milliseconds=n * spread_ms // probes) for n in range(probes)]
    order = list(range(probes))
    random.Random(20251125).shuffle(order)
    for n in order:
        await docket.add(record_start, when=whens[n])(n)
    enqueued = datetime.now(UTC)
    lateness: list[float] = []
    while len(lateness) < probes:
        n, _, wall = await next_start()
        lateness.append((wall - whens[n].timestamp()) * 1000)
    figures = {
        "lateness-p50": percentile(lateness, 0.5),
        "lateness-p99": percentile(lateness, 0.99),
        "lateness-max": max(lateness),
        "early": float(sum(1 for late in lateness if late < 0)),
        "earliest": min(lateness),
    }
    return {"figures": figures, "enqueue-margin-ms": (base - enqueued) / timedelta(milliseconds=1)}


# -- main -------------------------------------------------------------------------------------


async def measure(arguments: argparse.Namespace) -> dict[str, Any]:
    async with Docket(name=arguments.name, url=arguments.url) as opened:
        if arguments.measure == "enqueue":
            return await measure_enqueue(opened, arguments.n)
        if arguments.measure == "bulk":
            return await measure_bulk(opened, arguments.n)
        if arguments.measure == "drain":
            return await measure_drain(
                opened, arguments.n, arguments.concurrency, arguments.timeout
            )
        return await with_idle_worker(opened, arguments.measure, arguments.n, arguments.timeout)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--system", choices=sorted(DISTRIBUTIONS), required=True)
    parser.add_argument(
        "--measure",
        choices=["info", "enqueue", "bulk", "drain", "latency", "lateness"],
        required=True,
    )
    parser.add_argument("--url", default="")
    parser.add_argument("--name", default="")
    parser.add_argument("--n", type=int, default=1000, help="tasks, or probes")
    parser.add_argument("--concurrency", type=int, default=10, help="for drain")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds for the timed part")
    return parser.parse_args()


def emit(result: dict[str, Any]) -> None:
    """Print the result line; after a timeout, exit at once, since a stalled worker may not
    shut down cleanly either."""
    print("RESULT " + json.dumps(result), flush=True)
    if "timeout" in result:
        os._exit(0)


def main() -> None:
    arguments = parse_arguments()
    if arguments.measure == "info":
        emit(info(arguments.system))
    else:
        check_system(arguments.system)
        emit(asyncio.run(measure(arguments)))


if __name__ == "__main__":
    main()
