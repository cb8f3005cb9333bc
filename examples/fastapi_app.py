"""docket in a FastAPI app: open the Docket once in the lifespan, schedule from endpoints.

    uv run uvicorn fastapi_app:app --app-dir examples                  # memory://, worker in-app
    DOCKET_URL=redis://localhost:6379/0 uv run uvicorn fastapi_app:app --app-dir examples

On memory:// the app runs its worker itself (`async with worker.running():`): a memory://
docket lives inside this process, so no other process can run its tasks. On Redis, set
DOCKET_IN_APP_WORKER=0 and run workers apart, as many as you like:

    uv run docket worker --tasks fastapi_app:tasks --url redis://localhost:6379/0

Try it:

    curl -X POST 'localhost:8000/signups?user_id=7&email=jane@example.com'
    curl -X PUT 'localhost:8000/signups/7/reminder?in_seconds=5'   # move the reminder
    curl -X DELETE localhost:8000/signups/7/reminder                  # cancel it
    curl localhost:8000/sent
"""

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from docket import Docket, Worker
from fastapi import Depends, FastAPI, Request

DOCKET_URL = os.environ.get("DOCKET_URL", "memory://fastapi-example")
DOCKET_NAME = os.environ.get("DOCKET_NAME", "docket")  # both read as `docket worker` reads them
IN_APP_WORKER = DOCKET_URL.startswith("memory://") or os.environ.get("DOCKET_IN_APP_WORKER") != "0"

logger = logging.getLogger("fastapi_app")
sent: list[dict[str, Any]] = []
"""What the tasks did, for GET /sent; a real app would send e-mail here."""


async def send_welcome(user_id: int, email: str) -> None:
    sent.append({"task": "welcome", "user_id": user_id, "email": email})
    logger.warning("welcome e-mail to %s", email)


async def send_reminder(user_id: int, email: str, note: str = "") -> None:
    sent.append({"task": "reminder", "user_id": user_id, "email": email, "note": note})
    logger.warning("reminder e-mail to %s %s", email, note)


tasks = [send_welcome, send_reminder]
"""The task collection, for `docket worker --tasks fastapi_app:tasks`."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Docket]]:
    async with Docket(name=DOCKET_NAME, url=DOCKET_URL) as docket:
        for task in tasks:
            docket.register(task)
        if IN_APP_WORKER:
            async with Worker(docket, concurrency=20).running():
                yield {"docket": docket}  # the worker stops gracefully when the app does
        else:
            yield {"docket": docket}


app = FastAPI(lifespan=lifespan)


def get_docket(request: Request) -> Docket:
    docket: Docket = request.state.docket
    return docket


DocketDep = Annotated[Docket, Depends(get_docket)]


def reminder_key(user_id: int) -> str:
    return f"reminder-{user_id}"


@app.post("/signups")
async def sign_up(
    docket: DocketDep, user_id: int, email: str, remind_in_seconds: float = 86400
) -> dict[str, Any]:
    """A welcome now and a reminder later: both are scheduled, or neither is."""
    remind_at = datetime.now(UTC) + timedelta(seconds=remind_in_seconds)
    welcome, reminder = await docket.add_many(
        [
            docket.call(send_welcome, key=f"welcome-{user_id}")(user_id, email),
            docket.call(send_reminder, when=remind_at, key=reminder_key(user_id))(user_id, email),
        ],
        atomic=True,
    )
    return {"welcome": welcome.scheduled, "reminder": reminder.scheduled}


@app.put("/signups/{user_id}/reminder")
async def move_reminder(
    docket: DocketDep, user_id: int, email: str, in_seconds: float, note: str = "moved"
) -> dict[str, str]:
    """Replace the pending reminder (or schedule one): one key, at most one reminder."""
    when = datetime.now(UTC) + timedelta(seconds=in_seconds)
    await docket.replace(send_reminder, when=when, key=reminder_key(user_id))(user_id, email, note)
    return {"reminder": when.isoformat()}


@app.delete("/signups/{user_id}/reminder")
async def cancel_reminder(docket: DocketDep, user_id: int) -> dict[str, bool]:
    return {"cancelled": await docket.cancel(reminder_key(user_id))}


@app.get("/sent")
async def list_sent() -> list[dict[str, Any]]:
    return sent


@app.get("/health")
async def health() -> dict[str, str]:
    return {"loop": type(asyncio.get_running_loop()).__module__.partition(".")[0]}
