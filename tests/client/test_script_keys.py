"""Every Lua script touches only keys its caller declared in KEYS (the Redis Cluster rule).

A static check of the scripts' source: the key argument of every keyed command is a name
taken from KEYS (or a helper's parameter that callers fill from KEYS), never a name built in
the script.
"""

import re
from importlib.resources import files

import pytest

SCRIPTS = files("docket._scripts")
LUA = sorted(p.name for p in SCRIPTS.iterdir() if p.name.endswith(".lua"))

KEYLESS = {"PUBLISH"}
"""Commands whose first argument is not a key (a channel is not bound to a slot's keys)."""
CALL = re.compile(r"redis\.p?call\(\s*'(?P<command>[A-Z]+)'\s*(?:,\s*(?P<first>[^,)]+))?")
FROM_KEYS = re.compile(r"local\s+(?P<names>[\w\s,]+?)\s*=\s*(?P<values>[^\n]*KEYS\[[^\n]*)")
HELPER_KEY_PARAMETERS = {
    "stream",
    "queue",
    "task",
    "dead",
    "followed",
    "holders",
    "waiting",
    "ranks",
}
"""Parameters of prelude.lua's helpers that hold keys; the scripts pass them KEYS names."""


def source(name: str) -> str:
    return SCRIPTS.joinpath(name).read_text(encoding="utf-8")


def declared_names(text: str) -> set[str]:
    """Locals assigned from KEYS, e.g. ``local stream, queue = KEYS[1], KEYS[2]``."""
    names: set[str] = set()
    for match in FROM_KEYS.finditer(text):
        values = [v.strip() for v in match["values"].split(",")]
        for name, value in zip(match["names"].split(","), values, strict=False):
            if value.startswith("KEYS["):
                names.add(name.strip())
    return names


@pytest.mark.parametrize("name", LUA)
def test_every_keyed_command_uses_a_declared_key(name: str) -> None:
    text = source(name)
    allowed = declared_names(text)
    if name == "prelude.lua":
        allowed |= HELPER_KEY_PARAMETERS
    for match in CALL.finditer(text):
        if match["command"] in KEYLESS or match["first"] is None:
            continue
        first = match["first"].strip()
        assert ".." not in first, f"{name}: {match[0]!r} builds a key name inside the script"
        assert first in allowed or first.startswith("KEYS["), (
            f"{name}: {match[0]!r} uses {first!r}, which is not a key declared in KEYS"
        )


@pytest.mark.parametrize("name", LUA)
def test_no_script_concatenates_strings_into_a_call(name: str) -> None:
    for line in source(name).splitlines():
        if "redis.call" in line or "redis.pcall" in line:
            assert ".." not in line, f"{name}: {line.strip()!r}"


def test_the_check_catches_a_key_built_in_a_script() -> None:
    text = "local prefix = ARGV[1]\nredis.call('HGET', prefix .. ARGV[2], 'g')\n"
    [match] = CALL.finditer(text)
    assert ".." in match["first"]
    assert match["first"].strip() not in declared_names(text)
