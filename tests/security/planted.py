"""What a hostile producer would plant: a pickle that runs code when it is unpickled."""

from typing import Any


class CreatesAFile:
    """Unpickling one creates the file at `path` (the tests check it never appears)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.path, "w"))
