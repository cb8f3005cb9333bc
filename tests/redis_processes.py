"""A group of redis-server processes on loopback ports (a cluster's nodes, a Sentinel set-up):
started one by one until each answers, killed one at a time, stopped together."""

import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import redis


class RedisProcesses:
    def __init__(self, prefix: str) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=prefix))
        self.processes: dict[int, subprocess.Popen[bytes]] = {}

    def spawn(self, port: int, command: list[str], within: float = 10.0) -> None:
        """Start `command` (a redis-server listening on `port`) and wait until it answers."""
        self.processes[port] = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        client = redis.Redis(port=port)
        deadline = time.monotonic() + within
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"redis on {port} did not start") from None
                    time.sleep(0.02)
        finally:
            client.close()

    def kill(self, port: int) -> None:
        """SIGKILL the process on `port`, like a crash."""
        process = self.processes.pop(port)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def cleanup(self) -> None:
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()
        shutil.rmtree(self.folder, ignore_errors=True)
