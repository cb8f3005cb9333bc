"""The execution page (state, result or error, timeline) and the running page's progress bars."""

import asyncio
from datetime import UTC, datetime, timedelta

from docket import Docket, ExecutionProgress, Progress
from playwright.async_api import Page

from ..conftest import WorkerFactory
from ..helpers import wait_until
from .conftest import TOKEN, Serve, screenshot


async def test_a_finished_execution_shows_its_state_and_result(
    docket: Docket, make_worker: WorkerFactory, serve: Serve, page: Page
) -> None:
    async def double(n: int, progress: ExecutionProgress = Progress()) -> dict[str, int]:
        await progress.set_total(2)
        await progress.increment(2)
        await progress.set_message("doubled")
        return {"doubled": n * 2}

    await docket.add(double, key="done-1")(21)
    worker = await make_worker()
    await worker.run_until_finished()
    base = await serve()
    await page.goto(base + "/execution?key=done-1")
    assert await page.text_content("#state") == "completed"
    assert await page.text_content("#attempt") == "1"
    assert "{'doubled': 42}" in (await page.text_content("#result") or "")
    assert "2/2" in (await page.text_content("#progress") or "")
    assert "doubled" in (await page.text_content("#progress") or "")
    steps = await page.locator("#timeline tr td:first-child").all_text_contents()
    assert steps == ["due", "started", "completed"]
    assert await page.locator("#error").count() == 0
    await screenshot(page, "execution")


async def test_a_failed_execution_shows_its_error_as_text(
    docket: Docket, make_worker: WorkerFactory, serve: Serve, page: Page
) -> None:
    async def explode() -> None:
        raise ValueError("boom <img src=x onerror=window.pwned=1>")

    await docket.add(explode, key="failed-1")()
    worker = await make_worker()
    await worker.run_until_finished()
    base = await serve()
    await page.goto(base + "/execution?key=failed-1")
    assert await page.text_content("#state") == "failed"
    error = await page.text_content("#error") or ""
    assert "ValueError: boom <img src=x onerror=window.pwned=1>" in error
    assert await page.locator("#error img").count() == 0
    assert await page.evaluate("window.pwned === undefined")
    assert await page.locator("#result").count() == 0
    steps = await page.locator("#timeline tr td:first-child").all_text_contents()
    assert steps == ["due", "started", "failed"]


async def test_an_unknown_key_says_so(docket: Docket, serve: Serve, page: Page) -> None:
    base = await serve()
    await page.goto(base + "/execution?key=nothing-here")
    assert "No execution with key nothing-here" in (await page.text_content("main") or "")


async def test_the_running_page_shows_live_progress(
    docket: Docket, make_worker: WorkerFactory, serve: Serve, page: Page
) -> None:
    step, finish = asyncio.Event(), asyncio.Event()

    async def importer(progress: ExecutionProgress = Progress()) -> None:
        await progress.set_total(10)
        await progress.increment(3)
        await progress.set_message("<b>rows</b>")
        await step.wait()
        await progress.increment(4)
        await finish.wait()

    worker = await make_worker()
    async with worker.running():
        await docket.add(importer, key="import-1")()

        async def reported() -> bool:
            execution = await docket.get_execution("import-1")
            if execution is None:
                return False
            return (execution.progress.current, execution.progress.message) == (3, "<b>rows</b>")

        await wait_until(reported, what="the task to report its first progress")
        base = await serve()
        await page.goto(base + "/running")
        row = page.locator("tr[data-key='import-1']")
        assert await row.locator(".done").text_content() == "3/10"
        assert await row.locator(".message").text_content() == "<b>rows</b>"
        assert await row.locator("progress").get_attribute("max") == "10"
        await screenshot(page, "running")
        step.set()

        async def moved_on() -> bool:  # without reloading: the page polls once a second
            return await row.locator(".done").text_content() == "7/10"

        await wait_until(moved_on, what="the progress bar to move to 7/10 live")
        assert await row.locator("progress").evaluate("bar => bar.value") == 7
        finish.set()

        async def shows_done() -> bool:  # the progress poll marks it, or the table lost it
            states = await row.locator(".state").all_text_contents()
            return states in ([], ["completed"])

        await wait_until(shows_done, what="the row to say the run completed")

        async def left() -> bool:
            return await row.count() == 0

        await wait_until(left, what="the finished run to leave the table without a reload")


async def test_a_scheduled_execution_can_be_run_now_from_its_page(
    docket: Docket, serve: Serve, page: Page
) -> None:
    await docket.add("trace", when=datetime.now(UTC) + timedelta(days=1), key="tomorrow")("x")
    base = await serve()
    await page.goto(base + "/execution?key=tomorrow")
    assert await page.text_content("#state") == "scheduled"
    form = page.locator("form", has=page.locator("button[data-action=run-now]"))
    await form.locator("input[name=token]").fill(TOKEN)
    async with page.expect_navigation():
        await form.locator("button").click()
    assert page.url == base + "/execution?key=tomorrow"

    async def due() -> bool:
        taken = await docket.snapshot()
        return taken.queued_count + taken.due_count == 1

    await wait_until(due, what="run now to make the task due")
    await docket.clear()
