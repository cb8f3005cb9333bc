"""The shared Lua helpers of prelude.lua, and the part of them each script needs.

A script is sent with only the prelude definitions it uses (and those they use, in the
prelude's order), not the whole file: Redis runs a script's top level at every call, so each
helper defined costs a closure per call, several microseconds in all on the busiest scripts.
"""

import re
from functools import cache
from importlib.resources import files

_DEFINITION = re.compile(r"^local (?:function )?(\w+)", re.MULTILINE)


@cache
def chunks() -> dict[str, str]:
    """Each top-level definition of prelude.lua by name, with the comment above it, in order."""
    source = files(__package__).joinpath("prelude.lua").read_text(encoding="utf-8")
    starts: list[tuple[int, str]] = []
    for match in _DEFINITION.finditer(source):
        start = match.start()
        # take in the comment lines just above the definition
        while start > 0:
            previous = source.rfind("\n", 0, start - 1) + 1
            if not source[previous:start].startswith("--"):
                break
            start = previous
        starts.append((start, match.group(1)))
    ends = [start for start, _ in starts[1:]] + [len(source)]
    return {name: source[start:end] for (start, name), end in zip(starts, ends, strict=True)}


def needed(body: str) -> list[str]:
    """The names of the prelude definitions `body` uses, directly or through others."""
    defined = chunks()
    wanted: set[str] = set()
    todo = [body]
    while todo:
        text = todo.pop()
        for name, code in defined.items():
            if name not in wanted and re.search(rf"\b{name}\b", text):
                wanted.add(name)
                todo.append(code)
    return [name for name in defined if name in wanted]


def prelude_for(body: str) -> str:
    """The prelude definitions `body` needs, in the prelude's order."""
    defined = chunks()
    return "".join(defined[name] for name in needed(body))
