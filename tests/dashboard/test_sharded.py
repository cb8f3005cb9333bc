"""The dashboard on a sharded docket (`Docket(shards=3)`), on the suite's Redis and on the local
Redis Cluster: counts sum every shard, the pages list every shard's work, and an action on a
key reaches that key's shard."""

import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from docket import Docket
from docket._keys import shard_of
from docket_dashboard import _future
from playwright.async_api import Page

from ..conftest import WorkerFactory
from ..helpers import assert_consistent, wait_until
from .conftest import TOKEN, Serve

SHARDS = 3
LATER = timedelta(hours=1)


@pytest.fixture(params=["redis", pytest.param("cluster", marks=pytest.mark.cluster)])
def docket_url(request: pytest.FixtureRequest, redis_url: str) -> str:
    """The suite's Redis, and the local Redis Cluster (where the shards are on other masters)."""
    if request.param == "cluster":
        url: str = request.getfixturevalue("cluster_url")
        return url
    return redis_url


@pytest.fixture
async def docket(docket_url: str) -> AsyncIterator[Docket]:
    """A docket of SHARDS shards (the dashboard, `serve`, opens it by name)."""
    async with Docket(name=f"test-{uuid.uuid4().hex}", url=docket_url, shards=SHARDS) as opened:
        yield opened
        await assert_consistent(opened)


def keys_of_every_shard(prefix: str, count: int = 1) -> dict[int, list[str]]:
    """`count` keys starting with `prefix` for each shard."""
    found: dict[int, list[str]] = {index: [] for index in range(SHARDS)}
    n = 0
    while any(len(keys) < count for keys in found.values()):
        key = f"{prefix}-{n}"
        n += 1
        if len(found[shard_of(key, SHARDS)]) < count:
            found[shard_of(key, SHARDS)].append(key)
    return found


def _all(found: dict[int, list[str]]) -> list[str]:
    return sorted(key for keys in found.values() for key in keys)


async def _count(page: Page, name: str) -> str:
    return (await page.text_content(f"[data-count='{name}']")) or ""


async def test_the_overview_counts_the_work_of_every_shard(
    docket: Docket, serve: Serve, page: Page
) -> None:
    later = keys_of_every_shard("later", 2)
    now = keys_of_every_shard("now")
    for key in _all(later):
        await docket.add("trace", when=datetime.now(UTC) + LATER, key=key)(key)
    for key in _all(now):
        await docket.add("trace", key=key)(key)
    base = await serve()
    await page.goto(base + "/")

    assert await _count(page, "future") == str(2 * SHARDS)
    assert await _count(page, "queued") == str(SHARDS)
    assert await _count(page, "dead") == "0"
    await docket.clear()


async def test_the_future_page_lists_every_shard_and_cancels_on_the_keys_shard(
    docket: Docket, serve: Serve, page: Page
) -> None:
    later = keys_of_every_shard("later")
    for key in _all(later):
        await docket.add("trace", when=datetime.now(UTC) + LATER, key=key)(key)
    base = await serve()
    await page.goto(base + "/future")
    assert sorted(await page.locator("#future td.key").all_text_contents()) == _all(later)

    [doomed] = later[2]
    form = page.locator("tr", has_text=doomed).locator(
        "form", has=page.locator("button[data-action=cancel]")
    )
    await form.locator("input[name=token]").fill(TOKEN)
    async with page.expect_navigation():
        await form.locator("button").click()

    left = sorted(later[0] + later[1])

    async def cancelled() -> bool:
        return sorted(e.key for e in (await docket.snapshot()).future) == left

    await wait_until(cancelled, what=f"{doomed!r} (on shard 2) to be cancelled")
    await page.goto(base + "/future")
    assert sorted(await page.locator("#future td.key").all_text_contents()) == left
    await docket.clear()


@pytest.mark.parametrize("shown", [4, 100])
async def test_a_search_pages_through_every_shard_next_due_first_missing_none(
    docket: Docket, serve: Serve, page: Page, monkeypatch: pytest.MonkeyPatch, shown: int
) -> None:
    monkeypatch.setattr(_future, "SPAN", 7)  # small windows, so the search takes many pages
    monkeypatch.setattr(_future, "SHOWN", shown)  # 4: pages end at a match, 100: at a window
    start = datetime.now(UTC) + LATER
    order = random.Random(16).sample(range(60), 60)  # keys in no order of their due times
    due = {f"k-{n:03}": start + timedelta(seconds=order[n] // 3) for n in range(60)}  # ties
    await docket.add_many(
        docket.call("fail" if n % 2 else "trace", when=due[key], key=key)(n)
        for n, key in enumerate(due)
    )
    base = await serve()
    await page.goto(base + "/future?q=fail")
    seen: list[str] = []
    for _ in range(60):
        seen += await page.locator("#future td.key").all_text_contents()
        if not await page.locator("#further").count():
            break
        await page.click("#further")
    wanted = [key for n, key in enumerate(due) if n % 2]
    assert sorted(seen) == wanted  # each once, none missed
    assert [due[key] for key in seen] == sorted(due[key] for key in seen)
    await docket.clear()


async def test_the_dead_letters_page_lists_every_shard_and_purges_on_the_keys_shard(
    docket: Docket, make_worker: WorkerFactory, serve: Serve, page: Page
) -> None:
    lost = keys_of_every_shard("lost")
    for key in _all(lost):
        await docket.add("nobody_knows_this_task", key=key)(key)
    worker = await make_worker(unknown_task_grace=timedelta(0))
    await worker.run_until_finished()
    base = await serve()
    await page.goto(base + "/dead")
    assert sorted(await page.locator("#dead td.key").all_text_contents()) == _all(lost)
    assert await _count_on_overview(page, base) == str(SHARDS)

    [doomed] = lost[1]
    await page.goto(base + "/dead")
    form = page.locator("#dead tr", has_text=doomed).locator(
        "form", has=page.locator("button[data-action=purge]")
    )
    await form.locator("input[name=token]").fill(TOKEN)
    async with page.expect_navigation():
        await form.locator("button").click()

    async def purged() -> bool:
        return sorted(letter.key for letter in await docket.dead_letters()) == sorted(
            lost[0] + lost[2]
        )

    await wait_until(purged, what=f"the letter of {doomed!r} (on shard 1) to be purged")
    assert await docket.purge_dead_letters() == 2


async def _count_on_overview(page: Page, base: str) -> str:
    await page.goto(base + "/")
    return await _count(page, "dead")


async def test_every_page_answers_and_the_execution_page_finds_a_key_on_any_shard(
    docket: Docket, serve: Serve, page: Page
) -> None:
    later = keys_of_every_shard("later")
    for key in _all(later):
        await docket.add("trace", when=datetime.now(UTC) + LATER, key=key)(key)
    base = await serve()
    for path in ("/", "/api/overview", "/tasks", "/running", "/limits", "/future", "/dead"):
        response = await page.request.get(base + path)
        assert response.status == 200, path
    for keys in later.values():
        await page.goto(base + f"/execution?key={keys[0]}")
        assert await page.text_content("#execution .key") == keys[0]
    await docket.clear()
