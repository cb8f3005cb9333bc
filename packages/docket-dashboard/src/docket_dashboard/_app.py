"""The dashboard's Starlette application: pages, a JSON feed for live updates, and actions."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from docket import Docket, ExecutionState
from docket._codecs import codec_from_environment
from docket._sharding import recorded_shards, shards_from_environment
from docket._signing import keys_from_environment
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ._actions import perform
from ._dead import shown_letters
from ._detail import detail, progress_of, safe_repr
from ._future import parse_ranks, search_future
from ._limits import read_limits
from ._security import CSRF_COOKIE, action_refusal, new_csrf
from ._stats import LastHour, chart_points, span_text

HERE = Path(__file__).parent
LIMIT = 100
"""The most executions one page lists (bounded queries, whatever the docket's size)."""


@dataclass(frozen=True, slots=True)
class DashboardSettings:
    """How the dashboard opens its docket and guards its actions."""

    docket: str
    url: str
    token: str | None = None
    read_only: bool = False


def _cursor(text: str) -> int:
    """A SCAN cursor from the query string (0 when it is not one)."""
    return int(text) if text.isdigit() and len(text) < 21 else 0


class Dashboard:
    """The dashboard's pages and actions on one docket."""

    def __init__(self, settings: DashboardSettings) -> None:
        self.settings = settings
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True)
        )
        self.env.filters["safe_repr"] = safe_repr
        self.env.filters["span"] = span_text
        self._docket: Docket | None = None
        self.last_hour = LastHour()

    @property
    def docket(self) -> Docket:
        """The open docket (while the app runs)."""
        assert self._docket is not None, "the dashboard's docket is not open"
        return self._docket

    @asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        # The layout, signing keys and codec of the docket's workers, as the CLI's commands take
        # them (DOCKET_SHARDS or the recorded count, DOCKET_SIGNING_KEYS, DOCKET_CODEC).
        name, url = self.settings.docket, self.settings.url
        async with Docket(
            name=name,
            url=url,
            shards=shards_from_environment() or await recorded_shards(name, url),
            signing_keys=keys_from_environment(),
            codec=codec_from_environment(),
        ) as docket:
            self._docket = docket
            yield

    def render(self, request: Request, name: str, **context: Any) -> Response:
        csrf = request.cookies.get(CSRF_COOKIE) or new_csrf()
        body = self.env.get_template(name).render(
            csrf=csrf,
            actions=not self.settings.read_only and bool(self.settings.token),
            docket_name=self.settings.docket,
            **context,
        )
        response = HTMLResponse(body)
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict")
        return response

    async def counts(self) -> dict[str, Any]:
        snapshot = await self.docket.snapshot(limit=1)
        now = datetime.now(UTC)
        data: dict[str, Any] = {
            "due": snapshot.due_count,
            "queued": snapshot.queued_count,
            "running": snapshot.running_count,
            "future": snapshot.scheduled_count - snapshot.due_count,
            "dead": snapshot.dead_letters,
            "workers": [
                {
                    "name": w.name,
                    "age": round((now - w.last_seen).total_seconds(), 1),
                    "running": w.running,
                    "concurrency": w.concurrency,
                }
                for w in sorted(snapshot.workers, key=lambda w: w.name)
            ],
        }
        minutes = await self.last_hour.minutes(self.docket)
        data["chart"] = chart_points(minutes, data["queued"] + data["running"])
        return data

    async def overview(self, request: Request) -> Response:
        return self.render(request, "overview.html", page="overview", data=await self.counts())

    async def api_overview(self, _request: Request) -> Response:
        return JSONResponse(await self.counts())

    async def tasks(self, request: Request) -> Response:
        docket = self.docket
        names: dict[str, int] = {}
        for worker in await docket.workers():
            for name in worker.tasks:
                names[name] = names.get(name, 0) + 1
        stats = {task.name: task for task in await self.last_hour.tasks(docket)}
        struck = {strike.function for strike in docket.strikes}
        rows = [(name, names.get(name, 0), stats.get(name)) for name in sorted({*names, *stats})]
        return self.render(request, "tasks.html", page="tasks", rows=rows, struck=struck)

    async def running(self, request: Request) -> Response:
        snapshot = await self.docket.snapshot(limit=LIMIT)
        rows = snapshot.running
        progress = {p["key"]: p for p in await progress_of(self.docket, [r.key for r in rows])}
        return self.render(request, "running.html", page="running", rows=rows, progress=progress)

    async def api_progress(self, request: Request) -> Response:
        """State and progress of the keys the running page lists (at most LIMIT of them)."""
        keys = [key for key in request.query_params.getlist("key") if key][:LIMIT]
        try:
            return JSONResponse(await progress_of(self.docket, keys))
        except ValueError as error:
            return JSONResponse({"error": str(error)}, status_code=400)

    async def limits(self, request: Request) -> Response:
        cursor = _cursor(request.query_params.get("cursor", ""))
        scan = request.query_params.get("scan") == "1"
        try:
            snapshot = await self.docket.snapshot(limit=LIMIT)
            running = {execution.token: execution.key for execution in snapshot.running}
            problem = ""
        except OverflowError as error:  # see unreadable(): holders are then shown by token
            running, problem = {}, f"the running executions cannot be read now ({error})"
        view = await read_limits(self.docket, running, cursor, scan=scan)
        return self.render(request, "limits.html", page="limits", view=view, problem=problem)

    async def future(self, request: Request) -> Response:
        search = request.query_params.get("q", "")
        snapshot = await self.docket.snapshot(limit=LIMIT)
        if not search:
            rows, found = list(snapshot.future), None
        else:
            ranks = parse_ranks(request.query_params.get("from", ""), self.docket.shards)
            queued = [e for e in snapshot.future if e.state is ExecutionState.QUEUED]
            found = await search_future(self.docket, search, ranks, queued)
            rows = found.rows
        return self.render(
            request,
            "future.html",
            page="future",
            rows=rows,
            q=search,
            found=found,
            total=snapshot.queued_count + snapshot.scheduled_count,
        )

    async def dead(self, request: Request) -> Response:
        letters = await self.docket.dead_letters(LIMIT)
        rows = shown_letters(self.docket, letters)
        return self.render(request, "dead.html", page="dead", rows=rows)

    async def execution(self, request: Request) -> Response:
        key = request.query_params.get("key", "")
        try:
            found = await detail(self.docket, key) if key else None
        except ValueError:  # not a key docket can name
            found = None
        return self.render(request, "execution.html", page="execution", key=key, found=found)

    async def action(self, request: Request) -> Response:
        form = {
            name: values[0] for name, values in parse_qs((await request.body()).decode()).items()
        }
        refused = action_refusal(
            request,
            str(form.get("csrf", "")),
            str(form.get("token", "")),
            self.settings.token,
            self.settings.read_only,
        )
        if refused is not None:
            return HTMLResponse(f"refused: {refused}", status_code=403)
        try:
            await perform(
                self.docket, form.get("action", ""), form.get("key", ""), form.get("when", "")
            )
        except ValueError as error:
            return HTMLResponse(f"refused: {error}", status_code=400)
        back = str(form.get("back", "/"))
        local = back.startswith("/") and not back.startswith("//") and "\\" not in back
        return RedirectResponse(back if local else "/", status_code=303)


async def unreadable(_request: Request, error: Exception) -> Response:
    """A page for a snapshot docket-client cannot take: while the only parked executions are
    ConcurrencyLimit waiters (queue scores from 2**52 on), its next due time overflows."""
    return HTMLResponse(
        f"<p>The docket's snapshot cannot be read now: {escape(repr(error))}.</p>", 503
    )


def create_app(settings: DashboardSettings) -> Starlette:
    """The dashboard application for `settings`."""
    d = Dashboard(settings)
    return Starlette(
        routes=[
            Route("/", d.overview),
            Route("/api/overview", d.api_overview),
            Route("/tasks", d.tasks),
            Route("/running", d.running),
            Route("/api/progress", d.api_progress),
            Route("/limits", d.limits),
            Route("/future", d.future),
            Route("/dead", d.dead),
            Route("/execution", d.execution),
            Route("/action", d.action, methods=["POST"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        lifespan=d.lifespan,
        exception_handlers={OverflowError: unreadable},
    )
