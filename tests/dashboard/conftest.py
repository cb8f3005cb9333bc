"""Fixtures for the dashboard tests: a dashboard served in-process, and a headless Chromium."""

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import uvicorn
from docket import Docket
from docket_dashboard import DashboardSettings, create_app
from playwright.async_api import Browser, Page, async_playwright

from ..helpers import wait_until

TOKEN = "s3cret-token"
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

Serve = Callable[..., Awaitable[str]]


@pytest.fixture
def docket_url(redis_url: str) -> str:
    """The dashboard runs against a real Redis only (it opens the docket itself)."""
    return redis_url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def serve(docket: Docket, docket_url: str) -> AsyncIterator[Serve]:
    """Start a dashboard on the test's docket; returns its base URL. Stopped at teardown."""
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def start(token: str | None = TOKEN, read_only: bool = False) -> str:
        settings = DashboardSettings(
            docket=docket.name, url=docket_url, token=token, read_only=read_only
        )
        port = _free_port()
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        servers.append((server, task))
        await wait_until(lambda: server.started, what="the dashboard to start")
        return f"http://127.0.0.1:{port}"

    yield start
    for server, task in servers:
        server.should_exit = True
        await task


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    opened = await context.new_page()
    opened.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    yield opened
    await context.close()


async def screenshot(page: Page, name: str) -> None:
    """Save what the page shows as docs/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
