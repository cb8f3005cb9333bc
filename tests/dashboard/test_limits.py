"""The limits page: who holds a ConcurrencyLimit slot and who waits for it, in a real browser."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import pytest
from docket import ConcurrencyLimit, Docket, ExecutionState, RateLimit
from docket_dashboard import _limits
from playwright.async_api import Page

from ..conftest import WorkerFactory
from ..helpers import wait_until
from .conftest import Serve, screenshot


@pytest.fixture
def docket_url(redis_url: str) -> str:
    """These tests get a database of their own (no other test uses 5): the scan test pages
    through every key of the database 10 at a time, which on the suite's shared database 0,
    with every other test's records in it, takes thousands of pages."""
    return redis_url.rsplit("/", 1)[0] + "/5"


@pytest.fixture(params=[1, 3], ids=["one-shard", "three-shards"])
async def docket(docket_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Docket]:
    """The page reads a sharded docket's limits (on its own tag) and waiters (on the shards)."""
    shards: int = request.param
    async with Docket(name=f"test-{uuid.uuid4().hex}", url=docket_url, shards=shards) as opened:
        yield opened


@pytest.mark.parametrize("later", [True, False], ids=["with-future-work", "only-waiters-parked"])
async def test_the_limits_page_shows_the_holder_and_the_waiter(
    docket: Docket, make_worker: WorkerFactory, serve: Serve, page: Page, later: bool
) -> None:
    release = asyncio.Event()

    async def sync_customer(customer: Annotated[str, ConcurrencyLimit(1)]) -> str:
        await release.wait()
        return customer

    # With or without other parked work (ConcurrencyLimit waiters are parked at scores from
    # 2**52 on, which are not due times), holders show their keys.
    if later:
        await docket.add("trace", when=datetime.now(UTC) + timedelta(hours=1), key="later")("x")
    holder_text = "holder-key"
    worker = await make_worker(concurrency=4)
    async with worker.running():
        await docket.add(sync_customer, key="holder-key")("acme")

        async def holder_runs() -> bool:
            return [e.key for e in (await docket.snapshot()).running] == ["holder-key"]

        await wait_until(holder_runs, what="the first call to hold the slot")
        await docket.add(sync_customer, key="waiter-key")("acme")
        base = await serve()
        row = page.locator("tr.limit", has_text="customer=acme")

        async def shows_both() -> bool:
            await page.goto(base + "/limits")
            holders = row.locator("li.holder", has_text=holder_text)
            waiters = row.locator("li.waiter", has_text="waiter-key")
            return await holders.count() == 1 and await waiters.count() == 1

        await wait_until(shows_both, what="the limits page to show the holder and the waiter")
        assert "1 holding" in (await row.locator("td.holders").text_content() or "")
        assert "1 waiting" in (await row.locator("td.waiters").text_content() or "")
        assert await row.locator("li.holder", has_text="waiter-key").count() == 0
        assert await page.locator("#problem").count() == 0
        assert await page.locator("nav a.on", has_text="limits").count() == 1
        if later and docket.shards == 1:
            await screenshot(page, "limits")
        release.set()

        async def both_finished() -> bool:
            for key in ("holder-key", "waiter-key"):
                execution = await docket.get_execution(key)
                if execution is None or execution.state is not ExecutionState.COMPLETED:
                    return False
            return True

        await wait_until(both_finished, what="both calls to run, one after the other")

    async def all_free() -> bool:
        await page.goto(base + "/limits")
        return await page.locator("li.holder, li.waiter").count() == 0

    await wait_until(all_free, what="the slot to be given back and nobody to wait")


async def test_a_rate_limits_window_shows_while_it_lasts(
    docket: Docket, make_worker: WorkerFactory, serve: Serve, page: Page
) -> None:
    async def call_api(account: Annotated[str, RateLimit(5, per=timedelta(minutes=10))]) -> None:
        pass

    worker = await make_worker()
    async with worker.running():
        for n in range(3):
            await docket.add(call_api, key=f"call-{n}")("acme")
        base = await serve()
        row = page.locator("tr.limit", has_text="account=acme")

        async def shows_the_window() -> bool:
            await page.goto(base + "/limits")
            texts = await row.locator("td.holders").all_text_contents()
            return any("3 in the window" in text for text in texts)

        await wait_until(shows_the_window, what="the page to show the 3 runs of the window")
        assert await row.locator("td").first.text_content() == "rate"


async def test_the_scan_goes_on_from_its_cursor_and_marks_stale_waiters(
    docket: Docket, serve: Serve, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_limits, "SCAN_COUNT", 10)
    monkeypatch.setattr(_limits, "SCAN_ROUNDS", 1)
    client: Any = docket.backend.client
    base_key = docket.keys.limit("concurrency", "export:tenant=<b>x</b>")
    fillers = [f"{docket.keys.tag}:filler:{n}" for n in range(100)]
    await client.zadd(base_key + ":holders", {"abc123": int(time.time() * 1000) + 60_000})
    if docket.shards == 1:
        await client.rpush(base_key + ":waiting", "tok\x1fgone-key\x1f4503599627370496")
    else:  # a sharded docket's waiters: a sorted set of entries naming their shard
        await client.zadd(base_key + ":waiting", {"tok\x1fgone-key\x1f0": 1})
    await client.mset(dict.fromkeys(fillers, 1))
    try:
        base = await serve()
        await page.goto(base + "/limits")  # no worker holds it: only a scan finds it
        assert await page.locator("li.waiter").count() == 0
        async with page.expect_navigation():
            await page.locator("#mode a").click()
        assert await page.locator("#partial a").count() == 1  # 10 keys of 100 and more

        async def found() -> bool:
            if await page.locator("li.waiter").count() == 1:
                return True
            link = page.locator("#partial a")
            if await link.count() == 1:
                async with page.expect_navigation():
                    await link.click()
            else:  # the scan went round without it: start again
                await page.goto(base + "/limits")
            return False

        await wait_until(found, within=30, what="the scan to reach the limit's keys")
        row = page.locator("tr.limit")
        assert await row.locator("td.scope").text_content() == "export:tenant=<b>x</b>"
        assert await row.locator("td.scope b").count() == 0
        assert "token abc123" in (await row.locator("li.holder").text_content() or "")
        assert "stale" in (await row.locator("li.waiter").text_content() or "")
    finally:
        await client.delete(base_key + ":holders", base_key + ":waiting", *fillers)


def test_limit_keys_are_told_apart_from_other_keys() -> None:
    tag = "{orders}"
    assert _limits.classify(tag, "{orders}:concurrency:sync:c=1:holders") == (
        "concurrency",
        "sync:c=1",
        "holders",
    )
    assert _limits.classify(tag, "{orders}:fair:t:waiting") == ("fair", "t", "waiting")
    assert _limits.classify(tag, "{orders}:rate:api:holders") == ("rate", "api:holders", "window")
    assert _limits.classify(tag, "{orders}:task:concurrency:x:holders") is None
    assert _limits.classify(tag, "{orders}:cooldown:x") is None
    assert _limits.glob_escape("{a*b?[c]}") == "{a\\*b\\?\\[c\\]}"
