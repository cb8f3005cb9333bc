"""Every docket connection speaks RESP2, whose replies hiredis parses correctly.

redis-py 8 asks for RESP3 by default; hiredis builds RESP3 maps wrongly when a key repeats
(``%3 +a :1 +b :2 +a :3`` comes out as ``{a: None, b: 3}``), so docket never asks for it.
"""

import uuid

import hiredis
import redis.asyncio
from docket import Docket, Worker


def test_hiredis_still_mis_pairs_resp3_maps_with_repeated_keys() -> None:
    """The reason for RESP2; when this fails, hiredis is fixed and RESP3 may be allowed."""
    reader = hiredis.Reader()
    reader.feed(b"%3\r\n+a\r\n:1\r\n+b\r\n:2\r\n+a\r\n:3\r\n")
    assert reader.gets() != {b"a": 3, b"b": 2}


async def test_docket_and_worker_connections_speak_resp2(redis_url: str) -> None:
    name = f"resp-{uuid.uuid4().hex}"
    url = f"{redis_url}?protocol=3&client_name={name}"
    async with Docket(name, url) as docket, Worker(docket):
        # A map in RESP3, a flat list in RESP2.
        reply = await docket.backend.transport.execute("CONFIG", "GET", "maxmemory")
        assert isinstance(reply, list)
        admin: redis.asyncio.Redis = redis.asyncio.Redis.from_url(redis_url, protocol=2)
        clients = await admin.client_list()
        await admin.aclose()
    ours = [client for client in clients if client.get("name") == name]
    assert len(ours) >= 2  # the multiplexed connection and the pool's
    if "resp" in ours[0]:  # CLIENT LIST shows it from Redis 7 on
        assert {client["resp"] for client in ours} == {"2"}
