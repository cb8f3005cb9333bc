"""The tasks page's per-task statistics and the overview's chart of the last hour, live."""

import asyncio

from docket import Docket
from playwright.async_api import Page

from ..conftest import WorkerFactory
from ..helpers import wait_until
from .conftest import Serve, screenshot


async def test_the_tasks_page_shows_runs_failures_and_durations(
    docket: Docket, make_worker: WorkerFactory, serve: Serve, page: Page
) -> None:
    async def resize(n: int) -> None:
        await asyncio.sleep(0.03)

    async def charge(n: int) -> None:
        raise RuntimeError(f"card {n} declined")

    worker = await make_worker(concurrency=4)
    async with worker.running():
        for n in range(4):
            await docket.add(resize)(n)
        for n in range(2):
            await docket.add(charge)(n)
        base = await serve()
        resize_row = page.locator("#tasks tr[data-task=resize]")
        charge_row = page.locator("#tasks tr[data-task=charge]")

        async def counted() -> bool:
            await page.goto(base + "/tasks")
            runs = await resize_row.locator("td.runs").all_text_contents()
            failed = await charge_row.locator("td.failures").all_text_contents()
            return runs == ["4"] and failed == ["2"]

        await wait_until(counted, what="the workers' next heartbeat to bring the counts")
        assert await resize_row.locator("td.failures").text_content() == "0"
        assert await charge_row.locator("td.runs").text_content() == "2"
        p50 = await resize_row.locator("td.p50").text_content() or ""
        assert p50.endswith(" ms")
        assert float(p50.removesuffix(" ms")) >= 30 * 0.875  # within a bucket of the 30 ms sleep
        assert (await resize_row.locator("td.late99").text_content() or "").strip() != ""
        await screenshot(page, "tasks")


async def test_the_overview_charts_the_runs_and_lists_new_workers_without_a_reload(
    docket: Docket, make_worker: WorkerFactory, serve: Serve, page: Page
) -> None:
    async def ping() -> None: ...

    first = await make_worker(name="first-worker")
    async with first.running():
        base = await serve()
        await page.goto(base + "/")
        for _ in range(5):
            await docket.add(ping)()

        async def charted() -> bool:
            peak = await page.text_content("#runs-max") or "0"
            return int(peak) >= 1 and await page.locator("#chart polyline.runs").count() >= 1

        await wait_until(charted, what="the chart to draw this minute's runs")
        assert await page.locator("#chart polyline.depth").count() >= 1
        second = await make_worker(name="second-worker")
        async with second.running():

            async def both_listed() -> bool:  # no reload: the table refreshes itself
                texts = await page.locator("#workers").all_text_contents()
                return bool(texts) and "second-worker" in texts[0] and "first-worker" in texts[0]

            await wait_until(both_listed, what="the new worker's row to appear")
        await screenshot(page, "overview")
