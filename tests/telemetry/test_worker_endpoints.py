"""`docket worker --metrics-port` and `--healthcheck-port`, read over HTTP as Prometheus and a
load balancer read them, from a real worker process."""

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
from docket import Docket
from prometheus_client.parser import text_string_to_metric_families

from tests.cli.conftest import DOCKET_SCRIPT
from tests.helpers import wait_until
from tests.redis_server import RedisServer, free_port

TASKS = """
async def succeed() -> None:
    pass

async def refuse() -> None:
    raise ValueError("boom")

tasks = [succeed, refuse]
"""


def samples(text: str, docket: str) -> dict[tuple[str, str], float]:
    """(sample name, docket_task) -> value, for the samples of `docket`."""
    found: dict[tuple[str, str], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("docket_name") == docket:
                found[(sample.name, sample.labels.get("docket_task", ""))] = sample.value
    return found


async def test_metrics_and_the_health_check_of_a_worker_process(tmp_path: Path) -> None:
    server = RedisServer()
    server.start()
    name = f"endpoints-{uuid.uuid4().hex}"
    metrics_port, health_port = free_port(), free_port()
    (tmp_path / "shop_tasks.py").write_text(TASKS)
    environment = {**os.environ, "DOCKET_URL": server.url, "DOCKET_NAME": name}
    environment["DOCKET_WORKER_HEALTHCHECK_PORT"] = str(health_port)  # as pydocket names it
    process = await asyncio.create_subprocess_exec(
        str(DOCKET_SCRIPT),
        *("worker", "--tasks", "shop_tasks:tasks", "--metrics-port", str(metrics_port)),
        env=environment,
        cwd=tmp_path,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with Docket(name=name, url=server.url) as docket:
            for _ in range(3):
                await docket.add("succeed")()
            await docket.add("refuse")()
        async with httpx.AsyncClient(timeout=5) as http:

            async def scraped() -> dict[tuple[str, str], float]:
                try:
                    reply = await http.get(f"http://127.0.0.1:{metrics_port}/metrics")
                except httpx.TransportError:
                    return {}
                return samples(reply.text, name)

            async def health() -> tuple[int, str]:
                try:
                    reply = await http.get(f"http://127.0.0.1:{health_port}/")
                except httpx.TransportError as error:
                    return 0, str(error)
                return reply.status_code, reply.text

            async def answers(status: int) -> bool:
                code, _reason = await health()
                return code == status

            async def counted() -> bool:
                found = await scraped()
                return (
                    found.get(("docket_tasks_completed_total", "refuse")) == 1
                    and found.get(("docket_tasks_completed_total", "succeed")) == 3
                )

            await wait_until(counted, within=30, what="the runs on /metrics")
            found = await scraped()
            assert found[("docket_tasks_succeeded_total", "succeed")] == 3
            assert found[("docket_tasks_failed_total", "refuse")] == 1
            assert found[("docket_tasks_started_total", "succeed")] == 3
            assert found[("docket_task_duration_seconds_count", "succeed")] == 3
            assert found[("docket_tasks_running", "succeed")] == 0
            assert ("docket_queue_depth", "") in found

            await wait_until(lambda: answers(200), what="a healthy worker")
            assert await health() == (200, "ok\n")
            server.stop(kill=True)
            await wait_until(lambda: answers(503), within=20, what="503 without Redis")
            _status, reason = await health()
            assert reason.startswith(f"lost Redis at {server.url}"), reason
            server.start()
            await wait_until(lambda: answers(200), within=30, what="200 with Redis back")
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
        server.cleanup()
    assert process.returncode == 0


BLOCK_METRICS = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("prometheus_client",) or name.startswith(
            "opentelemetry.exporter"
        ):
            raise ImportError(f"No module named {name!r}")
sys.meta_path.insert(0, Block())
from docket_cli.app import main
main()
"""


def test_metrics_port_without_the_extra_says_what_to_install(redis_url: str) -> None:
    options = ["--tasks", "docket.tasks:standard_tasks", "--metrics-port", str(free_port())]
    done = subprocess.run(
        [sys.executable, "-c", BLOCK_METRICS, "worker", *options, "--url", redis_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [
        "Error: --metrics-port needs the metrics extra: install docket-worker[metrics]."
    ]
