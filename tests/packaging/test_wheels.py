"""The built wheels work as a user gets them: installed in fresh virtual environments outside the
workspace, with docket's own names resolved only from the wheels built here.

One `uv build --all-packages` and three environments (docket-worker alone, docket-cli alone,
docket-client[memory] + docket-worker + docket-speedups) are shared by the module's tests.
Third-party dependencies come from the package index through uv's cache.
"""

import json
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import tomllib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart.py"
OUR_NAMES = ("docket-cli", "docket-client", "docket-dashboard", "docket-speedups", "docket-worker")

# The build compiles the Cython extension; on a cold uv cache it also fetches the build
# requirements, so the module gets more than the suite's 60 s per test.
pytestmark = [pytest.mark.wheels, pytest.mark.timeout(600)]


def workspace_version() -> str:
    with (ROOT / "packages" / "docket-client" / "pyproject.toml").open("rb") as file:
        version: str = tomllib.load(file)["project"]["version"]
    return version


VERSION = workspace_version()


def find_uv() -> list[str]:
    """The uv that runs this session (`uv run` sets UV), else uv on PATH, else the uv module of
    this interpreter or of its base Python (CI installs uv with `python3 -m pip install uv`)."""
    candidates: list[list[str]] = []
    if os.environ.get("UV"):
        candidates.append([os.environ["UV"]])
    if on_path := shutil.which("uv"):
        candidates.append([on_path])
    candidates.append([sys.executable, "-m", "uv"])
    candidates.append([str(Path(sys.base_prefix) / "bin" / "python3"), "-m", "uv"])
    for command in candidates:
        try:
            found = subprocess.run(
                [*command, "--version"], capture_output=True, timeout=30, check=False
            )
        except OSError:
            continue
        if found.returncode == 0:
            return command
    pytest.fail(f"no working uv among {candidates}: install it with `python3 -m pip install uv`")


# Variables that would put another index or find-links location ahead of (or beside) our wheels,
# change the index strategy, or point Python at a source tree. DOCKET_* would change what the
# quickstart does (DOCKET_URL). The default index (UV_DEFAULT_INDEX, UV_INDEX_URL: a mirror of
# the package index) is kept: it is always consulted last.
UNSAFE_VARIABLES = {
    "PYTHONHOME",
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "UV_CONFIG_FILE",
    "UV_EXTRA_INDEX_URL",
    "UV_FIND_LINKS",
    "UV_INDEX",
    "UV_INDEX_STRATEGY",
    "UV_NO_CONFIG",
    "UV_PROJECT_ENVIRONMENT",
    "UV_PYTHON",
    "UV_SYSTEM_PYTHON",
    "VIRTUAL_ENV",
}


def user_environment() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if name not in UNSAFE_VARIABLES and not name.startswith("DOCKET_")
    }


def run(
    command: list[str], cwd: Path, timeout: float = 120, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command,
        cwd=cwd,
        env=user_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check:
        assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stderr}"
    return done


@dataclass(frozen=True)
class Dist:
    """The directory `uv build --all-packages` wrote every sdist and wheel into."""

    path: Path

    def one(self, pattern: str) -> Path:
        found = sorted(self.path.glob(pattern))
        assert len(found) == 1, (pattern, sorted(p.name for p in self.path.iterdir()))
        return found[0]

    def wheel(self, name: str) -> Path:
        return self.one(f"{name.replace('-', '_')}-{VERSION}-*.whl")

    def sdist(self, name: str) -> Path:
        return self.one(f"{name.replace('-', '_')}-{VERSION}.tar.gz")


@dataclass(frozen=True)
class Venv:
    """A virtual environment in a temporary directory, far from the workspace."""

    path: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def run_python(self, code: str) -> object:
        """Run `code` with this environment's Python, in the environment's own directory; it
        prints one JSON value, returned here."""
        done = run([str(self.python), "-c", textwrap.dedent(code)], cwd=self.path)
        return json.loads(done.stdout.strip().splitlines()[-1])

    def installed(self) -> dict[str, str]:
        """Version of each docket distribution installed here, by name."""
        report = self.run_python(
            """
            import importlib.metadata, json
            print(json.dumps({d.metadata["Name"]: d.version
                              for d in importlib.metadata.distributions()
                              if d.metadata["Name"].startswith("docket")}))
            """
        )
        assert isinstance(report, dict)
        return report

    def metadata(self, name: str) -> str:
        """The METADATA file of the installed distribution `name`."""
        text = self.run_python(
            f"""
            import importlib.metadata, json
            print(json.dumps(importlib.metadata.distribution({name!r}).read_text("METADATA")))
            """
        )
        assert isinstance(text, str)
        return text


@pytest.fixture(scope="module")
def uv() -> list[str]:
    return find_uv()


@pytest.fixture(scope="module")
def dist(uv: list[str], tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """Every sdist and wheel, built once (uv builds each wheel from its sdist)."""
    out = tmp_path_factory.mktemp("dist")
    command = [*uv, "build", "--all-packages", "--python", sys.executable, "--out-dir", str(out)]
    run(command, cwd=ROOT, timeout=540)
    built = Dist(out)
    for name in OUR_NAMES:  # make_venv relies on dist/ having every one of our names
        built.wheel(name)
    return built


@pytest.fixture(scope="module")
def make_venv(
    uv: list[str], dist: Dist, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., Venv]:
    """Build a fresh environment and install `requirements` into it, as a user would.

    Why docket's names can only come from our wheels: uv.toml declares `dist` as a flat index,
    listed before the package index, and the install uses uv's `first-index` strategy. For each
    package name uv then takes versions only from the first index that has that name at all,
    and `dist` has all four of ours, so the package index is never asked about docket-client,
    docket-worker, docket-cli or docket-speedups, whatever versions their unrelated owners
    publish there (docket-client 0.3.2 and docket-cli 0.2.2 are unrelated projects). A version
    our wheels lack is an error, not a fall-back. Plain `--find-links dist` would NOT do:
    uv merges find-links candidates with the index's, so `docket-cli` would resolve to the
    higher-versioned docket-cli on the package index. Every other name (redis, typer, ...) is
    absent from `dist`, so it comes from the package index as usual.
    """
    config = tmp_path_factory.mktemp("uv-config") / "uv.toml"
    config.write_text(
        f'[[index]]\nname = "docket-dist"\nurl = {json.dumps(str(dist.path))}\nformat = "flat"\n',
        encoding="utf-8",
    )

    def create(*requirements: str) -> Venv:
        venv = Venv(tmp_path_factory.mktemp("venv") / "venv")
        # The suite's own interpreter, given by path: uv's discovery of "3.12" outside a project
        # can find only version-manager shims; uv builds the environment on its base Python.
        run(
            [*uv, "venv", "--quiet", "--python", sys.executable, str(venv.path)],
            cwd=venv.path.parent,
        )
        install = [*uv, "pip", "install", "--config-file", str(config), "--index-strategy"]
        run([*install, "first-index", "--python", str(venv.python), *requirements], cwd=venv.path)
        return venv

    return create


@pytest.fixture(scope="module")
def worker_venv(make_venv: Callable[..., Venv]) -> Venv:
    return make_venv("docket-worker")


@pytest.fixture(scope="module")
def cli_venv(make_venv: Callable[..., Venv]) -> Venv:
    return make_venv("docket-cli")


@pytest.fixture(scope="module")
def full_venv(make_venv: Callable[..., Venv]) -> Venv:
    return make_venv("docket-client[memory]", "docket-worker", "docket-speedups")


def assert_ours(venv: Venv, dist: Dist, *names: str) -> None:
    """Each named distribution in `venv` is the one built here, byte for byte in its metadata."""
    for name in names:
        with zipfile.ZipFile(dist.wheel(name)) as wheel:
            built = wheel.read(f"{name.replace('-', '_')}-{VERSION}.dist-info/METADATA")
        assert venv.metadata(name) == built.decode(), name


def test_every_package_builds_an_sdist_and_a_wheel(dist: Dist) -> None:
    names = sorted(p.name for p in dist.path.iterdir() if p.name.endswith((".whl", ".tar.gz")))

    assert len(names) == 2 * len(OUR_NAMES), names
    for name in OUR_NAMES:
        assert dist.sdist(name)
        assert dist.wheel(name)
    assert not dist.wheel("docket-speedups").name.endswith("-none-any.whl")


def test_the_speedups_sdist_holds_the_cython_source_stub_and_marker(dist: Dist) -> None:
    with tarfile.open(dist.sdist("docket-speedups")) as sdist:
        members = {name.partition("/")[2] for name in sdist.getnames()}

    package = "src/docket_speedups/"
    assert {"setup.py", "pyproject.toml", "README.md"} <= members
    assert {package + name for name in ("_kernels.pyx", "_kernels.pyi", "py.typed")} <= members
    assert package + "_kernels.c" not in members  # generated: the wheel build makes it afresh


def test_the_speedups_wheel_holds_the_compiled_extension_stub_and_marker(dist: Dist) -> None:
    with zipfile.ZipFile(dist.wheel("docket-speedups")) as wheel:
        files = {name for name in wheel.namelist() if not name.startswith("docket_speedups-")}

    extensions = [name for name in files if name.startswith("docket_speedups/_kernels.cpython-")]
    assert len(extensions) == 1, files
    assert extensions[0].endswith(".so"), files
    assert files == {
        "docket_speedups/__init__.py",
        "docket_speedups/_kernels.pyi",
        "docket_speedups/py.typed",
        extensions[0],
    }


def test_docket_worker_alone_pulls_our_docket_client(worker_venv: Venv, dist: Dist) -> None:
    assert worker_venv.installed() == {"docket-client": VERSION, "docket-worker": VERSION}
    assert_ours(worker_venv, dist, "docket-client", "docket-worker")

    report = worker_venv.run_python(
        """
        import json, sys
        import docket, docket_worker
        from docket import Worker
        print(json.dumps({"docket": docket.__file__, "docket_worker": docket_worker.__file__,
                          "worker": Worker is docket_worker.Worker, "path": sys.path}))
        """
    )
    assert isinstance(report, dict)
    venv = str(worker_venv.path) + os.sep
    assert report["docket"].startswith(venv)
    assert report["docket_worker"].startswith(venv)
    assert report["worker"] is True
    assert not [entry for entry in report["path"] if entry.startswith(str(ROOT))]


def test_docket_cli_alone_gives_a_working_docket_worker_command(cli_venv: Venv, dist: Dist) -> None:
    assert cli_venv.installed() == {
        name: VERSION for name in OUR_NAMES if name not in ("docket-speedups", "docket-dashboard")
    }
    assert_ours(cli_venv, dist, "docket-cli", "docket-client", "docket-worker")
    docket = str(cli_venv.path / "bin" / "docket")

    help_text = run([docket, "--help"], cwd=cli_venv.path).stdout
    worker_help = run([docket, "worker", "--help"], cwd=cli_venv.path).stdout
    version = run([docket, "version"], cwd=cli_venv.path).stdout

    assert "worker" in help_text.split("Commands:")[1]
    assert "--tasks" in worker_help
    assert version.strip() == VERSION


def test_the_quickstart_runs_on_the_installed_wheels(
    full_venv: Venv, tmp_path_factory: pytest.TempPathFactory
) -> None:
    here = tmp_path_factory.mktemp("quickstart")
    shutil.copy(QUICKSTART, here / "quickstart.py")

    done = run([str(full_venv.python), "quickstart.py"], cwd=here, timeout=60)
    output = done.stdout

    assert "welcome email to Jane Smith" in output
    assert output.count("follow-up email to") == 1
    assert "follow-up email to Jane Q. Smith" in output
    assert "Nobody" not in output.split("cancelled followup-for-999")[1]
    assert "faily: whew! succeeded on attempt 4" in output
    assert output.count("poll poll-inbox:") == 4
    assert "done: 7 succeeded, 3 retried, 0 failed" in output


def test_the_speedups_wheel_installs_the_compiled_kernels(full_venv: Venv, dist: Dist) -> None:
    assert full_venv.installed() == {
        name: VERSION for name in OUR_NAMES if name not in ("docket-cli", "docket-dashboard")
    }
    assert_ours(full_venv, dist, "docket-speedups")

    report = full_venv.run_python(
        """
        import json
        import docket._speedups, docket_speedups._kernels
        print(json.dumps({"file": docket_speedups._kernels.__file__,
                          "implementation": docket._speedups.IMPLEMENTATION}))
        """
    )
    assert isinstance(report, dict)
    assert report["file"].startswith(str(full_venv.path) + os.sep)
    assert report["file"].endswith(".so")
    assert report["implementation"] == "cython"


def test_the_installed_docket_worker_runs_tasks_from_redis(
    cli_venv: Venv, redis_url: str, tmp_path: Path
) -> None:
    (tmp_path / "smoke_tasks.py").write_text(
        textwrap.dedent(
            """
            async def greet(name: str) -> None:
                print(f"hello, {name}", flush=True)

            tasks = [greet]
            """
        )
    )
    name = f"wheels-{os.getpid()}-{tmp_path.name}"
    schedule = textwrap.dedent(
        f"""
        import asyncio
        from docket import Docket
        from smoke_tasks import greet

        async def main() -> None:
            async with Docket({name!r}, {redis_url!r}) as docket:
                await docket.add(greet)("wheels")

        asyncio.run(main())
        """
    )
    run([str(cli_venv.python), "-c", schedule], cwd=tmp_path)
    worker = [str(cli_venv.path / "bin" / "docket"), "worker", "--tasks", "smoke_tasks:tasks"]
    worker += ["--url", redis_url, "--docket", name, "--until-finished"]
    done = run(worker, cwd=tmp_path, timeout=60)

    assert "hello, wheels" in done.stdout
    assert "finished greet" in done.stderr
