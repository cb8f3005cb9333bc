"""All workspace members share one version, and depend on their siblings at exactly that version."""

import tomllib
from pathlib import Path
from typing import Any

import docket
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def members() -> dict[str, dict[str, Any]]:
    """Each member's pyproject.toml, by distribution name."""
    projects = {}
    for path in sorted((ROOT / "packages").glob("*/pyproject.toml")):
        with path.open("rb") as file:
            data = tomllib.load(file)
        projects[data["project"]["name"]] = data
    return projects


def requirements(project: dict[str, Any]) -> list[Requirement]:
    listed: list[str] = list(project["project"].get("dependencies", []))
    for extra in project["project"].get("optional-dependencies", {}).values():
        listed.extend(extra)
    return [Requirement(text) for text in listed]


def test_the_workspace_has_the_five_members() -> None:
    assert sorted(members()) == [
        "docket-cli",
        "docket-client",
        "docket-dashboard",
        "docket-speedups",
        "docket-worker",
    ]


def test_all_members_share_one_version() -> None:
    versions = {name: data["project"]["version"] for name, data in members().items()}

    assert len(set(versions.values())) == 1, versions


def test_sibling_dependencies_are_pinned_to_that_version() -> None:
    projects = members()
    version = next(iter(projects.values()))["project"]["version"]
    siblings = set(projects)

    pins = {
        (name, requirement.name): str(requirement.specifier)
        for name, data in projects.items()
        for requirement in requirements(data)
        if requirement.name in siblings
    }

    assert pins, "no member depends on a sibling"
    assert pins == {pair: f"=={version}" for pair in pins}


def test_each_layer_depends_on_the_one_below() -> None:
    projects = members()

    def siblings_of(name: str) -> set[str]:
        return {r.name for r in requirements(projects[name]) if r.name in projects}

    assert siblings_of("docket-worker") == {"docket-client"}
    assert siblings_of("docket-cli") == {"docket-worker"}
    assert siblings_of("docket-client") <= {"docket-speedups"}


def test_the_installed_client_is_the_workspace_version() -> None:
    assert docket.__version__ == members()["docket-client"]["project"]["version"]


def test_the_workspace_root_uses_every_member_from_the_workspace() -> None:
    with (ROOT / "pyproject.toml").open("rb") as file:
        root = tomllib.load(file)

    sources = root["tool"]["uv"]["sources"]
    assert root["tool"]["uv"]["workspace"]["members"] == ["packages/*"]
    assert {name: source.get("workspace") for name, source in sources.items()} == {
        name: True for name in members()
    }
