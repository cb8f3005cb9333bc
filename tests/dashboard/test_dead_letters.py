"""The dead-letters page: each letter's arguments (or why they cannot be shown), and purging one
letter or all of them from the page."""

import pickle
from datetime import timedelta
from typing import Any

from docket import Docket
from docket._codecs import pack
from docket._signing import Signer
from docket._speedups import encode_envelope
from docket._time import now_ms
from docket_dashboard._dead import arguments_of
from playwright.async_api import Locator, Page

from ..conftest import WorkerFactory
from ..helpers import wait_until
from .conftest import TOKEN, Serve

TASK_TOKEN = "0123456789abcdef"
UNKNOWN = "nobody_knows_this_task"


async def _kill(docket: Docket, make_worker: WorkerFactory, calls: dict[str, Any]) -> None:
    """Dead-letter a call of a task no worker knows for each key of `calls` (its argument)."""
    for key, argument in calls.items():
        await docket.add(UNKNOWN, key=key)(argument, n=7)
    worker = await make_worker(unknown_task_grace=timedelta(0))
    await worker.run_until_finished()
    assert sorted(letter.key for letter in await docket.dead_letters()) == sorted(calls)


async def _dead_keys(docket: Docket) -> list[str]:
    return sorted(letter.key for letter in await docket.dead_letters())


def _form(page: Page, scope: Locator, kind: str, label: str) -> Locator:
    return scope.locator("form", has=page.locator(f"button[data-action={kind}]", has_text=label))


async def _submit(page: Page, form: Locator) -> None:
    """Fill in the token, click the action's button, accept its confirmation."""
    await form.locator("input[name=token]").fill(TOKEN)
    async with page.expect_navigation():
        await form.locator("button").click()


async def test_the_arguments_of_a_letter_are_shown_as_text(
    docket: Docket, make_worker: WorkerFactory, serve: Serve, page: Page
) -> None:
    script = "<script>window.injected = 1</script>"
    await _kill(docket, make_worker, {"scripted": script})
    client: Any = docket.backend.client
    envelope = encode_envelope("misshapen", "trace", now_ms(), 1, TASK_TOKEN, pickle.dumps(42))
    await client.xadd(docket.keys.stream, {"d": envelope})
    worker = await make_worker()
    await worker.run_until_finished()
    base = await serve()
    await page.goto(base + "/dead")

    shown = page.locator("#dead tr", has_text="scripted").locator("td.arguments")
    assert await shown.text_content() == f"({script!r},) {{'n': 7}}"
    assert await page.locator("#dead script").count() == 0
    assert await page.evaluate("typeof window.injected") == "undefined"
    refused = page.locator("#dead tr", has_text="misshapen").locator("td.arguments")
    text = await refused.text_content() or ""
    assert text.startswith("cannot be shown: the task arguments unpickled to a int")
    assert len(text) <= len("cannot be shown: ") + 200


async def test_a_letter_that_is_not_an_envelope_says_why_and_offers_no_row_action(
    docket: Docket, make_worker: WorkerFactory, serve: Serve, page: Page
) -> None:
    client: Any = docket.backend.client
    await client.xadd(docket.keys.stream, {"d": b"not an envelope"})
    worker = await make_worker()
    await worker.run_until_finished()
    [letter] = await docket.dead_letters()
    assert letter.key == ""  # nothing names it: only "purge all" can take it away
    base = await serve()
    await page.goto(base + "/dead")

    row = page.locator("#dead tr", has_text="not a docket envelope")
    text = await row.locator("td.arguments").text_content() or ""
    assert text.startswith("cannot be shown: message is not a docket envelope")
    assert await row.locator("form").count() == 0
    assert await page.locator("form button[data-action=purge]").count() == 1


def test_arguments_of_a_signed_letter_are_shown_only_when_the_signature_checks_out() -> None:
    envelope = encode_envelope(
        "signed", UNKNOWN, now_ms(), 1, TASK_TOKEN, pack("cloudpickle", UNKNOWN, (1,), {})
    )
    payload = Signer([b"the-producers-signing-key"]).sign(envelope)
    same = Docket("signed", "memory://signed", signing_keys=[b"the-producers-signing-key"])
    other = Docket("signed", "memory://signed", signing_keys=[b"some-other-signing-key"])

    assert arguments_of(same, payload).text == "(1,) {}"
    refused = arguments_of(other, payload)
    assert not refused.shown
    assert refused.text.startswith("cannot be shown: bad signature")
    assert arguments_of(same, envelope).text.startswith("cannot be shown: unsigned message")


async def test_purge_from_a_row_deletes_that_letter_only(
    docket: Docket, make_worker: WorkerFactory, serve: Serve, page: Page
) -> None:
    await _kill(docket, make_worker, {"first": 1, "doomed": 2, "last": 3})
    base = await serve()
    await page.goto(base + "/dead")
    await _submit(page, _form(page, page.locator("#dead tr", has_text="doomed"), "purge", "purge"))

    async def purged() -> bool:
        return await _dead_keys(docket) == ["first", "last"]

    await wait_until(purged, what="the letter of 'doomed' to be purged")
    await page.goto(base + "/dead")
    keys = await page.locator("#dead td.key").all_text_contents()
    assert sorted(keys) == ["first", "last"]


async def test_purge_all_empties_the_dead_letters(
    docket: Docket, make_worker: WorkerFactory, serve: Serve, page: Page
) -> None:
    await _kill(docket, make_worker, {"one": 1, "two": 2})
    base = await serve()
    await page.goto(base + "/dead")
    await _submit(page, _form(page, page.locator("main"), "purge", "purge all"))

    async def empty() -> bool:
        return await docket.dead_letters() == []

    await wait_until(empty, what="every dead letter to be purged")
    await page.goto(base + "/dead")
    assert await page.locator("#dead td.key").count() == 0
    assert (await docket.snapshot()).dead_letters == 0
