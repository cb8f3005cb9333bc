"""What a workload costs the Redis server, per task: the time its commands took (INFO
commandstats), how many it sent, and the server's CPU time (INFO cpu).

Redis counts a command a script calls both on its own line of commandstats and inside the
script's time, so summing every line would count script work twice. The script time is kept
whole and the commands docket's scripts call (read from the scripts, as the ACL roles are) are
left out; the few direct calls of those same commands (a heartbeat's HSET every 2 s) are then
left out too, which is far below the figures' precision.
"""

import shutil
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import redis.asyncio
from docket import _permissions, _scripts

from tests.redis_server import RedisServer, running_redis

SCRIPT_CALLS = frozenset(
    command.split("|")[0]
    for name, script in _scripts.BY_SHA.values()
    for command in _permissions.script_commands(script)
)
SCRIPT_RUNS = frozenset({"eval", "evalsha", "eval_ro", "evalsha_ro", "fcall"})
BOOKKEEPING = frozenset({"config", "info", "client", "hello", "ping", "select", "script"})


@dataclass(frozen=True, slots=True)
class ServerCost:
    """A workload's server cost per task."""

    tasks: int
    usec: float
    """commandstats µs per task (scripts whole, their inner calls not counted again)"""
    calls: float
    """commands per task, a script run counting as one"""
    cpu_usec: float
    """server CPU µs per task (user + system: parsing, networking and the commands)"""
    by_command: dict[str, tuple[int, int]]
    """calls and µs of each command counted, over the whole workload"""
    in_scripts: dict[str, tuple[int, int]]
    """calls and µs of the commands docket's scripts call (inside the scripts' time)"""

    @property
    def ceiling(self) -> float:
        """Tasks per second one Redis core could serve at this cost."""
        return 1_000_000 / self.usec

    def share(self) -> str:
        """Where the time went: each command's calls and µs per task, largest first, then
        those of the commands inside the scripts."""
        return _per_task(self.by_command, self.tasks) + (
            f"; inside scripts: {_per_task(self.in_scripts, self.tasks)}" if self.in_scripts else ""
        )


def _per_task(counted: dict[str, tuple[int, int]], tasks: int) -> str:
    ranked = sorted(counted.items(), key=lambda item: -item[1][1])
    return ", ".join(
        f"{name} {calls / tasks:.2f} calls {usec / tasks:.2f} µs"
        for name, (calls, usec) in ranked
        if usec * 100 >= tasks  # 0.01 µs per task or more
    )


def _counted(
    stats: dict[str, dict[str, float]], *, scripted: bool, inside: bool = False
) -> dict[str, tuple[int, int]]:
    """The calls and µs of each command: those counted on their own, or (`inside`) those
    inside the scripts."""
    counted: dict[str, tuple[int, int]] = {}
    for line, values in stats.items():
        name = line.removeprefix("cmdstat_").split("|")[0]
        nested = scripted and name in SCRIPT_CALLS
        if name in BOOKKEEPING or nested != inside:
            continue
        calls, usec = counted.get(name, (0, 0))
        counted[name] = (calls + int(values["calls"]), usec + int(values["usec"]))
    return counted


def _cpu(info: dict[str, float]) -> float:
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def measure(
    client: "redis.asyncio.Redis", tasks: int, workload: Callable[[], Awaitable[None]]
) -> ServerCost:
    """Reset the server's statistics, run `workload` (which handles `tasks` tasks), and read
    what it cost. Nothing else may use the server meanwhile."""
    await client.config_resetstat()
    cpu_before = _cpu(await client.info("cpu"))
    await workload()
    cpu = _cpu(await client.info("cpu")) - cpu_before
    stats = await client.info("commandstats")
    scripted = any(line.removeprefix("cmdstat_") in SCRIPT_RUNS for line in stats)
    by_command = _counted(stats, scripted=scripted)
    return ServerCost(
        tasks=tasks,
        usec=sum(usec for _, usec in by_command.values()) / tasks,
        calls=sum(calls for calls, _ in by_command.values()) / tasks,
        cpu_usec=cpu * 1_000_000 / tasks,
        by_command=by_command,
        in_scripts=_counted(stats, scripted=scripted, inside=True),
    )


@contextmanager
def private_server() -> Iterator[RedisServer]:
    """A server of the benchmark's own (so nothing else's commands are counted): Debian's
    /usr/bin/redis-server when installed (Redis 7, as deployed), else the suite's usual one."""
    binary = "/usr/bin/redis-server" if shutil.which("/usr/bin/redis-server") else None
    with running_redis(binary=binary) as server:
        yield server


async def plain_drain(
    client: "redis.asyncio.Redis", stream: str, group: str, tasks: int, count: int = 100
) -> None:
    """Read and settle `tasks` messages as a worker with no task logic would: XREADGROUP
    COUNT `count`, then XACK + XDEL of each batch in one write."""
    settled = 0
    while settled < tasks:
        reply: Any = await client.xreadgroup(group, "w", {stream: ">"}, count=count)
        ids = [entry_id for _, entries in reply for entry_id, _ in entries]
        async with client.pipeline(transaction=False) as pipe:
            pipe.xack(stream, group, *ids)
            pipe.xdel(stream, *ids)
            await pipe.execute()
        settled += len(ids)
