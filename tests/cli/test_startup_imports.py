"""`docket --help`, each command's help and `docket version` import only Typer and the CLI:
never docket, the worker, redis or an event loop, which only the commands that open a docket
need. Each case runs in a fresh interpreter, so nothing the test suite imported counts.
(How long start-up takes is measured in benchmarks/bench_cli_startup.py, not here.)"""

import json
import subprocess
import sys
from dataclasses import dataclass

import docket
import pytest

NOT_FOR_HELP = [
    "asyncio",
    "cloudpickle",
    "docket",
    "docket_speedups",
    "docket_worker",
    "fakeredis",
    "hiredis",
    "lupa",
    "msgspec",
    "redis",
    "rich",
    "uvloop",
]
"""Top-level packages a command that opens no docket must not load."""

PROBE = """
import json, sys
arguments, watched = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.argv = ["docket", *arguments]
from docket_cli.app import main
try:
    main()
    code = 0
except SystemExit as exit:
    code = exit.code
loaded = sorted({name.partition(".")[0] for name in sys.modules} & set(watched))
print(json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""


@dataclass(frozen=True)
class Run:
    stdout: str
    code: int
    loaded: list[str]
    """Which of NOT_FOR_HELP it imported."""


def run_docket(*arguments: str) -> Run:
    """Run `docket ARGUMENTS` in a new interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(arguments), json.dumps(NOT_FOR_HELP)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stderr.splitlines()[-1])
    return Run(result.stdout, outcome["code"], outcome["loaded"])


COMMANDS = [
    [],
    ["worker"],
    ["version"],
    ["dead"],
    ["dead", "ls"],
    ["dead", "requeue"],
    ["dead", "purge"],
    ["tasks"],
    ["tasks", "trace"],
    ["tasks", "fail"],
    ["tasks", "sleep"],
    ["strike"],
    ["restore"],
    ["strikes"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: " ".join(["docket", *command]))
def test_help_loads_no_docket_redis_or_event_loop(command: list[str]) -> None:
    run = run_docket(*command, "--help")

    assert (run.code, run.loaded) == (0, [])
    assert run.stdout.startswith(" ".join(["Usage: docket", *command, "[OPTIONS]"]))
    assert "Show this message and exit." in run.stdout


def test_version_loads_no_docket_redis_or_event_loop() -> None:
    run = run_docket("version")

    assert (run.code, run.loaded) == (0, [])
    assert run.stdout == f"{docket.__version__}\n"


def test_a_command_that_opens_a_docket_loads_what_it_needs() -> None:
    """The probe does see imports: a worker that got as far as loading its tasks loaded them."""
    run = run_docket("worker", "--tasks", "no_such_module_xyz:tasks")

    assert run.code == 1
    assert {"docket", "redis"} <= set(run.loaded)
