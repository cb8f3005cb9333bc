"""The docket's slot migrated to another master while a worker runs and a producer adds:
nothing is lost, the workers follow the slot (ASK during the move, MOVED after)."""

import asyncio
import uuid

import pytest
from docket import Docket, Worker

from ..helpers import wait_until
from ..redis_cluster import RedisCluster

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(120)]


async def test_a_slot_migration_while_tasks_flow_loses_nothing(cluster: RedisCluster) -> None:
    ran: set[int] = set()

    async def record(n: int) -> None:
        await asyncio.sleep(0.01)
        ran.add(n)

    name = f"migrate-{uuid.uuid4().hex[:8]}"
    async with Docket(name, cluster.url) as docket:
        docket.register(record)
        await docket.add_many(docket.call(record, key=f"before-{n}")(n) for n in range(300))
        source = cluster.master_of(docket.keys.stream)
        target = next(port for port in cluster.masters_ports() if port != source)
        async with Worker(docket, concurrency=5) as worker:
            running = asyncio.create_task(worker.run_forever())
            await wait_until(lambda: len(ran) > 20, what="the worker to get going")
            migrating = asyncio.create_task(
                asyncio.to_thread(cluster.migrate_slot, docket.keys.stream, target)
            )
            n = 300
            while not migrating.done():
                await docket.add(record, key=f"during-{n}")(n)
                n += 1
                await asyncio.sleep(0.002)
            assert await migrating > 0
            assert cluster.master_of(docket.keys.stream) == target
            for m in range(n, n + 50):
                await docket.add(record, key=f"after-{m}")(m)
            await wait_until(lambda: ran == set(range(n + 50)), within=60, what="every task")
            worker.stop()
            await running
