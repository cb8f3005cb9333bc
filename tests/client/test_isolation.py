"""Dockets are separated by name and URL; URLs carry connection options; failures name the URL."""

import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
from docket import Docket, DocketConnectionError, Worker

from ..conftest import redis_server_binary
from ..helpers import wait_until
from ._support import stored_keys, tomorrow


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


@pytest.fixture
async def two_dockets_on_one_server(redis_url: str) -> AsyncIterator[tuple[Docket, Docket]]:
    async with (
        Docket(name=unique("billing"), url=redis_url) as billing,
        Docket(name=unique("shipping"), url=redis_url) as shipping,
    ):
        yield billing, shipping


async def test_dockets_with_different_names_on_one_server_never_run_each_others_tasks(
    two_dockets_on_one_server: tuple[Docket, Docket],
) -> None:
    billing, shipping = two_dockets_on_one_server
    runs: list[str] = []

    async def work(label: str) -> None:
        runs.append(label)

    await billing.add(work, key="job")("billing")
    await shipping.add(work, key="job")("shipping")

    async with Worker(shipping) as worker:
        await worker.run_until_finished()
    assert runs == ["shipping"]

    async with Worker(billing) as worker:
        await worker.run_until_finished()
    assert runs == ["shipping", "billing"]


async def test_every_key_of_a_docket_carries_its_name_as_hash_tag(
    two_dockets_on_one_server: tuple[Docket, Docket],
) -> None:
    billing, shipping = two_dockets_on_one_server

    async def work() -> None: ...

    async with Worker(billing):
        await billing.add(work, key="now")()
        await billing.add(work, when=tomorrow(), key="later")()
        client = billing.backend.client
        mentioning = [raw.decode() async for raw in client.scan_iter(match=f"*{billing.name}*")]

        assert mentioning
        assert all(key.startswith("{" + billing.name + "}:") for key in mentioning), mentioning
        assert await stored_keys(shipping) == []
        assert await billing.cancel("now") is True
        assert await billing.cancel("later") is True


async def test_cancel_on_one_docket_leaves_the_same_key_on_another_alone(
    two_dockets_on_one_server: tuple[Docket, Docket],
) -> None:
    billing, shipping = two_dockets_on_one_server

    async def work() -> None: ...

    await billing.add(work, when=tomorrow(), key="report")()
    await shipping.add(work, when=tomorrow(), key="report")()

    assert await billing.cancel("report") is True
    assert await shipping.cancel("report") is True


async def test_two_docket_objects_with_one_name_and_url_share_one_docket(
    docket_url: str,
) -> None:
    name = unique("orders")
    runs: list[str] = []

    async def ship(order: str) -> None:
        runs.append(order)

    async with Docket(name=name, url=docket_url) as web, Docket(name=name, url=docket_url) as jobs:
        await web.add("ship", key="order-1")("order-1")
        jobs.register(ship)
        async with Worker(jobs) as worker:
            await worker.run_until_finished()

    assert runs == ["order-1"]


async def test_memory_urls_with_different_names_are_separate_dockets() -> None:
    name = unique("orders")
    runs: list[str] = []

    async def work(label: str) -> None:
        runs.append(label)

    async with (
        Docket(name=name, url="memory://a") as in_a,
        Docket(name=name, url="memory://b") as in_b,
    ):
        await in_a.add(work, key="job")("a")
        await in_b.add(work, key="job")("b")

        async with Worker(in_b) as worker:
            await worker.run_until_finished()
        assert runs == ["b"]

        async with Worker(in_a) as worker:
            await worker.run_until_finished()
        assert runs == ["b", "a"]


async def test_redis_databases_of_one_server_are_separate_dockets(redis_url: str) -> None:
    name = unique("orders")
    other_database = redis_url.rsplit("/", 1)[0] + "/1"

    async def work() -> None: ...

    async with (
        Docket(name=name, url=redis_url) as first,
        Docket(name=name, url=other_database) as second,
    ):
        await first.add(work, key="job")()

        assert await second.cancel("job") is False
        assert await first.cancel("job") is True


async def test_task_keys_named_like_internal_keys_do_not_collide(
    docket: Docket, worker: Worker
) -> None:
    runs: list[str] = []

    async def work(key: str) -> None:
        runs.append(key)

    keys = ["stream", "queue", "dead", "wake", "workers", "task:stream", "{x}:stream", ":"]
    for key in keys:
        await docket.add(work, key=key)(key)
    await worker.run_until_finished()

    assert sorted(runs) == sorted(keys)


async def test_redis_options_ride_on_the_url(redis_url: str) -> None:
    runs: list[str] = []

    async def work() -> None:
        runs.append("ran")

    url = redis_url + "?socket_timeout=5"
    async with Docket(name=unique("options"), url=url) as docket:
        await docket.add(work)()
        async with Worker(docket) as worker:
            await worker.run_until_finished()

    assert runs == ["ran"]


@pytest.fixture
def unix_socket_redis() -> Iterator[str]:
    """A private redis-server listening only on a unix socket; its path."""
    try:
        binary = redis_server_binary()
    except RuntimeError as error:
        pytest.skip(f"no redis-server to listen on a unix socket: {error}")
    with tempfile.TemporaryDirectory(prefix="dk-") as directory:
        path = str(Path(directory) / "redis.sock")
        server = subprocess.Popen(
            [binary, "--port", "0", "--unixsocket", path, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=directory,
        )
        try:
            yield path
        finally:
            server.terminate()
            server.wait(timeout=10)


async def test_a_unix_socket_url_reaches_redis(unix_socket_redis: str) -> None:
    def answers() -> bool:
        try:
            with redis.Redis(unix_socket_path=unix_socket_redis) as client:
                return bool(client.ping())
        except (redis.ConnectionError, FileNotFoundError):
            return False

    await wait_until(answers, what="redis-server on its unix socket")
    runs: list[str] = []

    async def work() -> None:
        runs.append("ran")

    async with Docket(name="unix", url=f"unix://{unix_socket_redis}") as docket:
        await docket.add(work)()
        async with Worker(docket) as worker:
            await worker.run_until_finished()

    assert runs == ["ran"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_unreachable_redis_raises_docket_connection_error_naming_the_url() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    docket = Docket(name="orders", url=url)

    with pytest.raises(DocketConnectionError) as raised:
        async with docket:
            pass

    message = str(raised.value)
    assert url in message
    assert "'orders'" in message
    assert "Start the server, or check the URL" in message
    assert isinstance(raised.value, ConnectionError)
    with pytest.raises(RuntimeError, match="not open"):
        docket.backend  # noqa: B018 - the docket stays closed


async def test_connection_error_does_not_reveal_the_password_in_the_url() -> None:
    url = f"redis://worker:s3cret-pass@127.0.0.1:{free_port()}/0"

    with pytest.raises(DocketConnectionError) as raised:
        async with Docket(name="orders", url=url):
            pass

    assert "s3cret-pass" not in str(raised.value)
    assert "worker:***@127.0.0.1" in str(raised.value)
