"""Reschedule, strike and restore from the pages, each taking effect in Redis."""

from datetime import UTC, datetime, timedelta

from docket import Docket
from playwright.async_api import Locator, Page

from ..conftest import WorkerFactory
from ..helpers import wait_until
from .conftest import TOKEN, Serve

LATER = timedelta(hours=1)


def _form(page: Page, row_text: str, kind: str) -> Locator:
    return page.locator("tr", has_text=row_text).locator(
        "form", has=page.locator(f"button[data-action={kind}]")
    )


async def test_reschedule_from_the_page_moves_the_task(
    docket: Docket, serve: Serve, page: Page
) -> None:
    await docket.add("trace", when=datetime.now(UTC) + LATER, key="movable")("x")
    base = await serve()
    await page.goto(base + "/future")
    form = _form(page, "movable", "reschedule")
    await form.locator("input[name=when]").fill("2031-05-06T07:08:09")
    await form.locator("input[name=token]").fill(TOKEN)
    async with page.expect_navigation():
        await form.locator("button").click()
    target = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)

    async def moved() -> bool:
        execution = await docket.get_execution("movable")
        return execution is not None and execution.when == target

    await wait_until(moved, what="the task to be due at the new time")
    await page.goto(base + "/future")
    shown = await page.locator("tr", has_text="movable").text_content() or ""
    assert "2031-05-06T07:08:09+00:00" in shown
    assert (await docket.snapshot()).scheduled_count == 1


async def test_reschedule_to_a_bad_time_is_refused(
    docket: Docket, serve: Serve, page: Page
) -> None:
    when = datetime.now(UTC) + LATER
    await docket.add("trace", when=when, key="stays")("x")
    base = await serve()
    await page.goto(base + "/future")
    form = _form(page, "stays", "reschedule")
    await form.locator("input[name=when]").fill("not a time")
    await form.locator("input[name=token]").fill(TOKEN)
    async with page.expect_navigation():
        await form.locator("button").click()
    assert "refused" in (await page.text_content("body") or "")
    execution = await docket.get_execution("stays")
    assert execution is not None
    assert abs(execution.when - when) < timedelta(milliseconds=1)


async def test_strike_and_restore_from_the_tasks_page(
    docket: Docket, make_worker: WorkerFactory, serve: Serve, page: Page
) -> None:
    worker = await make_worker()
    async with worker.running():
        base = await serve()
        row = page.locator("#tasks tr", has_text="trace")

        async def listed() -> bool:
            await page.goto(base + "/tasks")
            return await row.count() == 1

        await wait_until(listed, what="the worker's tasks to be listed")
        form = _form(page, "trace", "strike")
        await form.locator("input[name=token]").fill(TOKEN)
        await form.locator("button").click()

        async def struck() -> bool:
            return [s.function for s in docket.strikes] == ["trace"]

        await wait_until(struck, what="the strike to reach Redis")
        execution = await docket.add("trace")("held")
        assert execution.struck

        async def shown_struck() -> bool:
            await page.goto(base + "/tasks")
            return "yes" in (await row.text_content() or "")

        await wait_until(shown_struck, what="the tasks page to show trace struck")
        form = _form(page, "trace", "restore")
        await form.locator("input[name=token]").fill(TOKEN)
        await form.locator("button").click()

        async def restored() -> bool:
            return docket.strikes == []

        await wait_until(restored, what="the strike to be lifted")

        async def shown_restored() -> bool:
            await page.goto(base + "/tasks")
            return "yes" not in (await row.text_content() or "")

        await wait_until(shown_restored, what="the tasks page to show trace not struck")
        assert not (await docket.add("trace")("runs")).struck
