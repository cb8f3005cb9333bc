"""The Redis set-ups a chaos run can use, each able to lose its docket's master and recover.

- single: one persistent server behind a TCP proxy that can lose replies; a "restart" crashes
  the server and starts it again on the same port;
- cluster: a local three-master cluster; a "restart" kills the master serving the docket, and
  once its replica took over, starts the killed node again (it rejoins as a replica);
- sentinel: a master, a replica and three sentinels; a "restart" kills the master likewise.
"""

import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis

from tests.redis_cluster import RedisCluster
from tests.redis_sentinel import RedisSentinel
from tests.redis_server import RedisServer
from tests.tcp_proxy import TcpProxy

OOM_SECONDS = 1.0
"""How long each out-of-memory episode lasts."""
PROMOTION_TIMEOUT = 30.0


class Topology(Protocol):
    url: str
    """What producers and workers connect to."""

    def restart(self) -> None:
        """Lose the docket's master (crash it) and bring the set-up back."""
        ...

    def master_port(self) -> int: ...

    def lose_reply(self) -> bool:
        """Lose one reply on its way back; False where this set-up cannot."""
        ...

    @property
    def replies_lost(self) -> int: ...

    def cleanup(self) -> None: ...


class Single:
    def __init__(self) -> None:
        self.server = RedisServer(persistent=True)
        self.server.start()
        self.proxy = TcpProxy(self.server.port).start()
        self.url = self.proxy.url

    def restart(self) -> None:
        self.server.restart()

    def master_port(self) -> int:
        return self.server.port

    def lose_reply(self) -> bool:
        self.proxy.lose_replies(1)
        return True

    @property
    def replies_lost(self) -> int:
        return self.proxy.replies_lost

    def cleanup(self) -> None:
        self.proxy.stop()
        self.server.cleanup()


class Replicated:
    """A cluster or a Sentinel set-up: a "restart" kills the docket's master, and once its
    replica took over, starts the killed node again (it rejoins as a replica)."""

    def __init__(
        self,
        url: str,
        healthy: Callable[[], None],
        master_port: Callable[[], int],
        kill: Callable[[int], None],
        revive: Callable[[int], None],
        cleanup: Callable[[], None],
    ) -> None:
        self.url = url
        self._healthy, self.master_port, self._kill = healthy, master_port, kill
        self._revive, self._cleanup = revive, cleanup
        self.rejoining: list[threading.Thread] = []

    def restart(self) -> None:
        _settle(self.rejoining)
        self._healthy()
        old = self.master_port()
        self._kill(old)
        self.rejoining.append(_after_promotion(self.master_port, old, self._revive))

    def lose_reply(self) -> bool:
        return False

    @property
    def replies_lost(self) -> int:
        return 0

    def cleanup(self) -> None:
        _settle(self.rejoining)
        self._cleanup()


def cluster(docket: str) -> Replicated:
    nodes = RedisCluster()
    nodes.start()
    key = "{" + docket + "}:stream"
    return Replicated(
        nodes.url, nodes.wait_healthy, lambda: nodes.master_of(key), nodes.kill,
        nodes.start_node, nodes.cleanup,
    )  # fmt: skip


def sentinel() -> Replicated:
    nodes = RedisSentinel()
    nodes.start()
    return Replicated(
        nodes.url, nodes.wait_healthy, nodes.master_port, nodes.kill, nodes.start_server,
        nodes.cleanup,
    )  # fmt: skip


def _settle(rejoining: list[threading.Thread]) -> None:
    """Wait for the killed masters of earlier restarts to be back (as replicas)."""
    for thread in rejoining:
        thread.join(timeout=PROMOTION_TIMEOUT)
    rejoining.clear()


def _after_promotion(
    master_port: Callable[[], int], old: int, revive: Callable[[int], None]
) -> threading.Thread:
    """In a thread: wait until another node serves as master, then start the old one again."""

    def wait_then_revive() -> None:
        deadline = time.monotonic() + PROMOTION_TIMEOUT
        while time.monotonic() < deadline:
            try:
                if master_port() != old:
                    break
            except (RuntimeError, redis.RedisError):
                pass
            time.sleep(0.05)
        revive(old)

    thread = threading.Thread(target=wait_then_revive, daemon=True)
    thread.start()
    return thread


def out_of_memory(port: int) -> None:
    """Hold the Redis on `port` at maxmemory (noeviction) for a while, then lift the limit."""
    admin = redis.Redis(port=port)
    try:
        used = int(admin.info("memory")["used_memory"])
        admin.config_set("maxmemory-policy", "noeviction")
        admin.config_set("maxmemory", used)
        time.sleep(OOM_SECONDS)
        admin.config_set("maxmemory", 0)
    except redis.ConnectionError:
        pass  # restarted meanwhile: the limit went with it
    finally:
        admin.close()


def open_topology(kind: str, docket: str) -> Topology:
    if kind == "cluster":
        return cluster(docket)
    if kind == "sentinel":
        return sentinel()
    return Single()
