"""The future page's search, with more parked executions than one request looks at."""

from datetime import UTC, datetime, timedelta

from docket import Docket
from docket_dashboard._future import SPAN
from playwright.async_api import Page

from .conftest import Serve

PARKED = SPAN + 500


async def _park(docket: Docket) -> datetime:
    """PARKED trace tasks an hour apart from the next hour on, and one `fail` due last."""
    start = datetime.now(UTC) + timedelta(hours=1)
    await docket.add_many(
        docket.call("trace", when=start + timedelta(minutes=n), key=f"t-{n:05}")("x")
        for n in range(PARKED)
    )
    await docket.add("fail", when=start + timedelta(days=30), key="last-of-all")("boom")
    return start


async def _keys(page: Page) -> list[str]:
    return [text.strip() for text in await page.locator("#future td.key").all_text_contents()]


async def test_a_search_by_task_goes_on_past_the_first_window(
    docket: Docket, serve: Serve, page: Page
) -> None:
    await _park(docket)
    base = await serve()
    await page.goto(base + "/future")
    assert "The next 100 of 2501" in (await page.text_content("#searched") or "")
    await page.fill("input[name=q]", "fail")
    await page.click("form[method=get] button")
    await page.wait_for_url("**/future?q=fail")
    assert await _keys(page) == []
    assert f"looking at {SPAN} parked" in (await page.text_content("#searched") or "")

    await page.click("#further")
    assert await _keys(page) == ["last-of-all"]
    assert "the whole queue from here" in (await page.text_content("#searched") or "")
    assert await page.locator("#further").count() == 0


async def test_a_search_by_key_lists_matches_next_due_first(
    docket: Docket, serve: Serve, page: Page
) -> None:
    await _park(docket)
    base = await serve()
    await page.goto(base + "/future?q=t-0001")
    assert await _keys(page) == [f"t-0001{n}" for n in range(10)]


async def test_an_exact_key_is_found_however_far_off_it_is_due(
    docket: Docket, serve: Serve, page: Page
) -> None:
    await _park(docket)
    base = await serve()
    await page.goto(base + "/future?q=last-of-all")
    assert await _keys(page) == ["last-of-all"]
    row = page.locator("#future tr", has_text="last-of-all")
    assert "fail" in (await row.text_content() or "")
