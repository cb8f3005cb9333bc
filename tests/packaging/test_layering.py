"""Layering: the client never loads the worker, the CLI or Typer; the worker never loads the CLI.

Each check runs in a fresh interpreter, so modules other tests imported do not hide a leak.
"""

import ast
import json
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENT_SOURCES = ROOT / "packages" / "docket-client" / "src" / "docket"
WORKER_SOURCES = ROOT / "packages" / "docket-worker" / "src" / "docket_worker"

LOADED = """
import json, sys
print(json.dumps(sorted(
    name for name in sys.modules
    if name.partition(".")[0] in {"docket_worker", "docket_cli", "typer"}
)))
"""


def loaded_after(code: str, *arguments: str) -> list[str]:
    """The docket_worker, docket_cli and typer modules a fresh interpreter loads running `code`."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code) + LOADED, *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_docket_loads_no_worker_cli_or_typer_module() -> None:
    assert loaded_after("import docket") == []


def test_listing_the_public_api_loads_no_worker_module() -> None:
    code = """
    import docket
    assert "Worker" in docket.__all__
    dir(docket)
    from docket import Docket, Retry, TaskKey, CurrentDocket, DocketError
    """
    assert loaded_after(code) == []


SCHEDULE = """
import asyncio, sys
from datetime import datetime, timedelta, timezone
from docket import CurrentDocket, Docket, Retry, TaskKey

async def send_followup_email(
    customer_id: int,
    name: str,
    key: str = TaskKey(),
    docket: Docket = CurrentDocket(),
    retry: Retry = Retry(attempts=3),
) -> None: ...

async def main(name: str, url: str) -> None:
    async with Docket(name=name, url=url) as docket:
        await docket.add(send_followup_email)(12345, "Jane Smith")
        tomorrow = datetime.now(timezone.utc) + timedelta(days=1)
        await docket.add(send_followup_email, when=tomorrow, key="k")(12345, "Jane Smith")
        await docket.replace("send_followup_email", when=tomorrow, key="k")(1, "Jane")
        assert await docket.cancel("k")

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


@pytest.mark.parametrize("backend", ["redis", "memory"])
def test_scheduling_loads_no_worker_cli_or_typer_module(backend: str, redis_url: str) -> None:
    name = f"layering-{uuid.uuid4().hex}"
    url = redis_url if backend == "redis" else f"memory://{name}"

    assert loaded_after(SCHEDULE, name, url) == []


def test_accessing_docket_worker_loads_the_worker_but_not_the_cli() -> None:
    loaded = loaded_after("import docket; docket.Worker")

    assert "docket_worker" in loaded
    assert not [name for name in loaded if name.partition(".")[0] in ("docket_cli", "typer")]


def _top_level_imports(path: Path) -> set[str]:
    """Modules imported when `path` is imported: not in functions, not under TYPE_CHECKING."""
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(alias.name.partition(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.partition(".")[0])
            elif isinstance(node, ast.If):
                if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return found


@pytest.mark.parametrize(
    ("sources", "forbidden"),
    [
        (CLIENT_SOURCES, {"docket_worker", "docket_cli", "typer"}),
        (WORKER_SOURCES, {"docket_cli", "typer"}),
    ],
    ids=["docket", "docket_worker"],
)
def test_no_module_imports_a_layer_above_it(sources: Path, forbidden: set[str]) -> None:
    modules = sorted(sources.rglob("*.py"))
    assert modules

    offending = {
        str(path.relative_to(ROOT)): sorted(_top_level_imports(path) & forbidden)
        for path in modules
        if _top_level_imports(path) & forbidden
    }

    assert offending == {}
