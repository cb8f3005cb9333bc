"""The dashboard in a real headless Chromium, against a real Redis with workers running."""

from datetime import UTC, datetime, timedelta

from docket import Docket
from playwright.async_api import Browser, Dialog, Page

from ..conftest import WorkerFactory
from ..helpers import wait_until
from .conftest import TOKEN, Serve, screenshot

LATER = timedelta(hours=1)


async def _act(page: Page, row_text: str, kind: str, token: str = TOKEN) -> None:
    """Fill the token of action `kind` in the row showing `row_text`, click it, confirm."""
    form = page.locator("tr", has_text=row_text).locator(
        "form", has=page.locator(f"button[data-action={kind}]")
    )
    await form.locator("input[name=token]").fill(token)
    await form.locator("button").click()


async def _count(page: Page, name: str) -> str:
    return (await page.text_content(f"[data-count='{name}']")) or ""


async def test_overview_shows_counts_and_updates_live(
    docket: Docket, make_worker: WorkerFactory, serve: Serve, page: Page
) -> None:
    await docket.add("trace", when=datetime.now(UTC) + LATER, key="later-1")("a")
    await docket.add("trace", when=datetime.now(UTC) + LATER, key="later-2")("b")
    worker = await make_worker()
    async with worker.running():
        base = await serve()
        await page.goto(base + "/")
        assert await _count(page, "future") == "2"
        assert await _count(page, "dead") == "0"

        await docket.add("trace", when=datetime.now(UTC) + LATER, key="later-3")("c")

        async def shows_three() -> bool:
            return await _count(page, "future") == "3"

        await wait_until(shows_three, what="the overview to count 3 future tasks")

        async def lists_the_worker() -> bool:
            return await page.locator("#workers td").count() > 0

        await wait_until(lists_the_worker, what="a worker row")
        await page.goto(base + "/future")
        await screenshot(page, "future")
        await page.goto(base + "/tasks")
        assert await page.locator("#tasks td.key", has_text="trace").count() == 1


async def test_cancel_from_the_page_takes_effect_in_redis(
    docket: Docket, serve: Serve, page: Page
) -> None:
    await docket.add("trace", when=datetime.now(UTC) + LATER, key="doomed")("x")
    base = await serve()
    await page.goto(base + "/future")
    await _act(page, "doomed", "cancel", TOKEN)
    await page.wait_for_url(base + "/future")

    async def gone() -> bool:
        return (await docket.snapshot()).scheduled_count == 0

    await wait_until(gone, what="the cancelled task to leave Redis")
    await page.goto(base + "/future")
    assert await page.locator("tr", has_text="doomed").count() == 0


async def test_a_script_key_renders_as_text(docket: Docket, serve: Serve, page: Page) -> None:
    key = "<script>window.pwned=1</script>"
    await docket.add("trace", when=datetime.now(UTC) + LATER, key=key)("x")
    base = await serve()
    await page.goto(base + "/future")
    assert await page.locator("td.key", has_text=key).count() == 1
    assert await page.evaluate("window.pwned === undefined")
    await page.goto(base + "/execution?key=" + "%3Cscript%3Ewindow.pwned%3D1%3C%2Fscript%3E")
    assert await page.evaluate("window.pwned === undefined")


async def test_the_confirmation_shows_a_hostile_key_as_text_and_no_means_no(
    docket: Docket, serve: Serve, browser: Browser
) -> None:
    key = "it's\\'); window.pwned=1; ('</script>"
    await docket.add("trace", when=datetime.now(UTC) + LATER, key=key)("x")
    base = await serve()
    context = await browser.new_context()
    page = await context.new_page()
    asked: list[str] = []

    async def dismiss(dialog: Dialog) -> None:
        asked.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", dismiss)
    await page.goto(base + "/future")
    await _act(page, "window.pwned", "cancel")
    await wait_until(lambda: bool(asked), what="the confirmation dialog")
    assert asked == [f"cancel {key}?"]
    assert await page.evaluate("window.pwned === undefined")
    assert page.url == base + "/future"
    assert (await docket.snapshot()).scheduled_count == 1
    await context.close()


async def test_actions_without_the_token_are_refused(
    docket: Docket, serve: Serve, page: Page
) -> None:
    await docket.add("trace", when=datetime.now(UTC) + LATER, key="kept")("x")
    base = await serve()
    await page.goto(base + "/future")
    await _act(page, "kept", "cancel", "wrong")
    assert "wrong or missing token" in (await page.text_content("body") or "")
    assert (await docket.snapshot()).scheduled_count == 1


async def test_a_cross_site_post_is_refused(docket: Docket, serve: Serve, page: Page) -> None:
    await docket.add("trace", when=datetime.now(UTC) + LATER, key="kept")("x")
    base = await serve()
    await page.goto(base + "/future")
    response = await page.request.post(
        base + "/action",
        form={"action": "cancel", "key": "kept", "token": TOKEN, "csrf": "forged"},
        headers={"Origin": "http://evil.example"},
    )
    assert response.status == 403
    assert "cross-site" in await response.text()
    assert (await docket.snapshot()).scheduled_count == 1


async def test_read_only_hides_and_refuses_actions(
    docket: Docket, serve: Serve, page: Page
) -> None:
    await docket.add("trace", when=datetime.now(UTC) + LATER, key="kept")("x")
    base = await serve(read_only=True)
    await page.goto(base + "/future")
    assert await page.locator("button[data-action=cancel]").count() == 0
    response = await page.request.post(base + "/action", form={"action": "cancel", "key": "kept"})
    assert response.status == 403
    assert "read-only" in await response.text()
    assert (await docket.snapshot()).scheduled_count == 1


async def test_requeue_from_the_page_takes_effect_in_redis(
    docket: Docket, make_worker: WorkerFactory, serve: Serve, page: Page
) -> None:
    await docket.add("nobody_knows_this_task", key="lost")(1)
    worker = await make_worker(unknown_task_grace=timedelta(0))
    await worker.run_until_finished()
    assert [letter.key for letter in await docket.dead_letters()] == ["lost"]
    base = await serve()
    await page.goto(base + "/dead")
    await screenshot(page, "dead")
    await _act(page, "lost", "requeue", TOKEN)

    async def requeued() -> bool:
        return await docket.dead_letters() == []

    await wait_until(requeued, what="the dead letter to go back on the stream")
    assert (await docket.snapshot()).queued_count == 1
    await docket.clear()


async def test_strike_and_run_now_from_the_pages(docket: Docket, serve: Serve, page: Page) -> None:
    await docket.add("trace", when=datetime.now(UTC) + LATER, key="soon")("x")
    base = await serve()
    await page.goto(base + "/future")
    await _act(page, "soon", "run-now")

    async def due_now() -> bool:
        taken = await docket.snapshot()
        return taken.queued_count + taken.due_count == 1

    await wait_until(due_now, what="run now to make the task due")
    await docket.clear()
