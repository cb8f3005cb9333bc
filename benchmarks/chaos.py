"""Chaos run: thousands of tasks through several `docket worker` processes while workers are
killed with SIGKILL, Redis is crashed and restarted, replies are lost on the way back (the
workers reach Redis through a TCP proxy that swallows a reply and drops the connection), and
Redis runs out of memory for a while. Checks that every task ran at least once, that no
worker died on its own, and reports the duplicates.

The run plays the part of a process supervisor: a replacement worker that starts while a fault
is under way refuses to start with its one-line "cannot reach Redis" error (exit 1, as
documented), and is started again. Those refusals are counted apart; any other exit is a death.

    uv run benchmarks/chaos.py --tasks 5000 --workers 4 --kills 20 --restarts 3 \
        --lost-replies 20 --oom 2
"""

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONCURRENCY = 10
MEAN_TASK_SECONDS = 0.025
sys.path.insert(0, str(ROOT))

from docket import Docket  # noqa: E402

from benchmarks._topologies import OOM_SECONDS, Topology, open_topology, out_of_memory  # noqa: E402

RESTARTS = {
    "single": "Redis restarts",
    "cluster": "cluster masters killed",
    "sentinel": "Sentinel masters killed",
}

TASKS_MODULE = """
import asyncio, os, random

async def record(n: int) -> None:
    await asyncio.sleep(random.random() / 20)
    with open(os.environ["CHAOS_LOG"], "a") as log:
        log.write(f"{n}\\n")

tasks = [record]
"""


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--kills", type=int, default=10, help="SIGKILLs of random workers")
    parser.add_argument("--restarts", type=int, default=2, help="Redis crashes and restarts")
    parser.add_argument(
        "--lost-replies", type=int, default=10, help="replies to workers lost with the connection"
    )
    parser.add_argument(
        "--oom", type=int, default=1, help=f"{OOM_SECONDS:g} s episodes of Redis at maxmemory"
    )
    topology = parser.add_mutually_exclusive_group()
    topology.add_argument(
        "--cluster",
        dest="topology",
        action="store_const",
        const="cluster",
        help="run on a local Redis Cluster; --restarts kill the docket's master",
    )
    topology.add_argument(
        "--sentinel",
        dest="topology",
        action="store_const",
        const="sentinel",
        help="run on a local Sentinel set-up; --restarts kill the master",
    )
    parser.set_defaults(topology="single")
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds to finish in")
    parser.add_argument("--shards", type=int, default=1, help="Docket(shards=N)")
    return parser.parse_args()


class Workers:
    """The `docket worker` processes of the run, replaced as they are killed."""

    def __init__(self, url: str, name: str, folder: Path, log: Path, shards: int) -> None:
        self.command = [
            str(Path(sys.executable).parent / "docket"),
            "worker",
            "--tasks", "chaos_tasks:tasks",
            "--url", url,
            "--docket", name,
            "--concurrency", str(CONCURRENCY),
            "--redelivery-timeout", "1s",
            "--logging-level", "ERROR",
            "--shards", str(shards),
        ]  # fmt: skip
        self.env = os.environ | {"PYTHONPATH": str(folder), "CHAOS_LOG": str(log)}
        self.folder = folder
        self.processes: list[subprocess.Popen[bytes]] = []
        self.errors: dict[int, Path] = {}
        self.died = 0
        """Workers that exited by themselves (a crash), replaced as the killed ones are."""
        self.refused = 0
        """Workers that refused to start because Redis could not be reached at that moment."""

    def start(self) -> None:
        errors = self.folder / f"worker-{uuid.uuid4().hex[:8]}.err"
        with errors.open("wb") as stderr:
            process = subprocess.Popen(self.command, env=self.env, stderr=stderr)
        self.errors[process.pid] = errors
        self.processes.append(process)

    def kill_one(self) -> None:
        victim = self.processes.pop(random.randrange(len(self.processes)))
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        del self.errors[victim.pid]
        self.start()

    def replace_dead(self) -> None:
        for process in [p for p in self.processes if p.poll() is not None]:
            said = self.errors.pop(process.pid).read_text(errors="replace")
            lines = said.splitlines()
            if process.returncode == 1 and lines and lines[-1].startswith("Error: cannot reach"):
                self.refused += 1
            else:
                print(f"chaos: a worker exited by itself with status {process.returncode}")
                sys.stderr.write(said)
                self.died += 1
            self.processes.remove(process)
            self.start()

    def stop_all(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()


async def schedule(url: str, name: str, count: int, shards: int) -> None:
    async with Docket(name=name, url=url, shards=shards) as docket:
        for n in range(count):
            await docket.add("record", key=f"chaos-{n}")(n)


def ran(log: Path) -> Counter[int]:
    if not log.exists():
        return Counter()
    return Counter(int(line) for line in log.read_text().split())


async def backlog(url: str, name: str, shards: int) -> tuple[int, int]:
    async with Docket(name=name, url=url, shards=shards) as docket:
        backlogs = [await shard.backend.backlog() for shard in docket._views or [docket]]
        return sum(b[0] for b in backlogs), sum(b[1] for b in backlogs)


def drained(url: str, name: str, shards: int) -> bool:
    return asyncio.run(backlog(url, name, shards)) == (0, 0)


def fault(event: str, workers: Workers, topology: Topology) -> None:
    if event == "kill":
        workers.kill_one()
    elif event == "restart":
        topology.restart()
    elif event == "lose":
        topology.lose_reply()
    else:
        out_of_memory(topology.master_port())


def main() -> int:
    options = parse_arguments()
    folder = Path(tempfile.mkdtemp(prefix="docket-chaos-"))
    (folder / "chaos_tasks.py").write_text(TASKS_MODULE)
    log = folder / "ran.log"
    name = f"chaos-{uuid.uuid4().hex[:8]}"
    topology = open_topology(options.topology, name)
    workers = Workers(topology.url, name, folder, log, options.shards)
    started = time.monotonic()
    try:
        asyncio.run(schedule(topology.url, name, options.tasks, options.shards))
        for _ in range(options.workers):
            workers.start()
        events = ["kill"] * options.kills + ["restart"] * options.restarts
        losses = options.lost_replies if options.topology == "single" else 0
        events += ["lose"] * losses + ["oom"] * options.oom
        random.shuffle(events)
        # Spread the chaos over the time the tasks are expected to take, once work has begun.
        expected = options.tasks * MEAN_TASK_SECONDS / (options.workers * CONCURRENCY)
        pause = timedelta(seconds=max(0.05, expected / (len(events) + 1)))
        while not ran(log) and time.monotonic() - started < options.deadline:
            time.sleep(0.01)
        while time.monotonic() - started < options.deadline:
            seen = ran(log)
            if len(seen) == options.tasks and asyncio.run(
                backlog(topology.url, name, options.shards)
            ) == (0, 0):
                break
            workers.replace_dead()
            if events:
                fault(events.pop(), workers, topology)
            time.sleep(pause.total_seconds())
    finally:
        workers.replace_dead()
        workers.stop_all()
        topology.cleanup()
    seen = ran(log)
    elapsed = time.monotonic() - started
    missing = options.tasks - len(seen)
    duplicates = sum(seen.values()) - len(seen)
    verdict = "all ran at least once" if missing == 0 else f"{missing} NEVER RAN"
    deaths = "no worker died" if workers.died == 0 else f"{workers.died} WORKERS DIED"
    if workers.refused:
        deaths += f" ({workers.refused} refused to start mid-fault and were started again)"
    print(
        f"chaos: {options.tasks} tasks on {options.shards} shard(s), {options.workers} workers, "
        f"{options.kills} SIGKILLs, "
        f"{options.restarts} {RESTARTS[options.topology]}, {topology.replies_lost} lost replies, "
        f"{options.oom} out-of-memory episodes: {verdict}; {deaths}; {duplicates} duplicates "
        f"({duplicates / options.tasks:.1%}); {elapsed:.1f} s"
    )
    return 0 if missing == 0 and workers.died == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
