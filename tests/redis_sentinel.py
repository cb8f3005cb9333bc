"""A private Sentinel set-up on free loopback ports: one master, one replica, three sentinels.

The sentinels are the same redis-server binary started with ``--sentinel``; they watch the
master under the service name ``docket-test`` and fail over to the replica within seconds.
"""

import time

import redis

from .redis_processes import RedisProcesses
from .redis_server import free_port, redis_server_binary

SERVICE = "docket-test"
DOWN_AFTER_MS = 1000
"""How soon the sentinels call an unanswering master down (down-after-milliseconds)."""


class RedisSentinel(RedisProcesses):
    """A master, its replica and three sentinels; `url` is the docket URL for them."""

    def __init__(self) -> None:
        super().__init__("docket-sentinel-")
        ports: set[int] = set()
        while len(ports) < 5:
            ports.add(free_port())
        self.data_ports, self.sentinel_ports = sorted(ports)[:2], sorted(ports)[2:]

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{SERVICE}/0"

    def start(self) -> None:
        master, replica = self.data_ports
        self.start_server(master)
        self.start_server(replica, "--replicaof", "127.0.0.1", str(master))
        for port in self.sentinel_ports:
            self.start_sentinel(port, master)
        self.wait_healthy()

    def start_server(self, port: int, *extra: str) -> None:
        folder = self.folder / str(port)
        folder.mkdir(exist_ok=True)
        self.spawn(
            port,
            [
                redis_server_binary(),
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(folder),
                *extra,
            ],
        )  # fmt: skip

    def start_sentinel(self, port: int, master: int) -> None:
        config = self.folder / f"sentinel-{port}.conf"
        config.write_text(
            f"port {port}\n"
            "bind 127.0.0.1\n"
            f"dir {self.folder}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {master} 2\n"
            f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {SERVICE} 5000\n"
            f"sentinel parallel-syncs {SERVICE} 1\n"
        )
        self.spawn(port, [redis_server_binary(), str(config), "--sentinel"])

    def master_port(self) -> int:
        """The port the sentinels name as the master now."""
        for port in self.sentinel_ports:
            if port not in self.processes:
                continue
            client = redis.Redis(port=port)
            try:
                reply = client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)  # type: ignore[no-untyped-call]
                if reply:
                    return int(reply[1])
            except redis.RedisError:
                continue
            finally:
                client.close()
        raise RuntimeError("no sentinel names a master")

    def wait_healthy(self, within: float = 30.0) -> None:
        """Until every sentinel knows the replica and the other sentinels, and the replica is
        in sync: a failover can then happen."""
        deadline = time.monotonic() + within
        while not self._healthy():
            if time.monotonic() > deadline:
                raise RuntimeError("the local Sentinel set-up did not become healthy")
            time.sleep(0.05)

    def _healthy(self) -> bool:
        master = self.master_port()
        for port in self.sentinel_ports:
            client = redis.Redis(port=port, decode_responses=True)
            try:
                [state] = [
                    m
                    for m in client.execute_command("SENTINEL", "MASTERS")  # type: ignore[no-untyped-call]
                    if m["name"] == SERVICE
                ] or [None]
                if state is None or int(state["num-slaves"]) < 1:
                    return False
                if int(state["num-other-sentinels"]) < len(self.sentinel_ports) - 1:
                    return False
            except (redis.RedisError, KeyError, TypeError):
                return False
            finally:
                client.close()
        replica = next(p for p in self.data_ports if p != master)
        client = redis.Redis(port=replica)
        try:
            return client.info("replication").get("master_link_status") == "up"
        except redis.RedisError:
            return False
        finally:
            client.close()

    def failover(self) -> None:
        """Ask the sentinels for a failover (SENTINEL FAILOVER)."""
        client = redis.Redis(port=self.sentinel_ports[0])
        try:
            client.execute_command("SENTINEL", "FAILOVER", SERVICE)  # type: ignore[no-untyped-call]
        finally:
            client.close()
