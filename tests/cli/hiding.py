"""Run Python as if some packages were not installed: a finder that hides them is put first."""

HIDING_FINDER = """
import sys

class Hide:
    # Wraps a finder of sys.meta_path so that the packages in HIDDEN look uninstalled: no
    # module, and no distribution metadata.
    def __init__(self, finder):
        self.finder = finder

    def __getattr__(self, name):
        return getattr(self.finder, name)

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in HIDDEN:
            return None
        find_spec = getattr(self.finder, "find_spec", None)
        return None if find_spec is None else find_spec(name, path, target)

    def find_distributions(self, *args, **kwargs):
        find = getattr(self.finder, "find_distributions", None)
        found = [] if find is None else find(*args, **kwargs)
        names = {name.replace("_", "-") for name in HIDDEN}
        return iter([d for d in found if d.metadata["Name"] not in names])

sys.meta_path[:] = [Hide(finder) for finder in sys.meta_path]
"""


def without(*packages: str) -> str:
    """Python source to run first, so that `packages` (import names) cannot be imported."""
    return f"HIDDEN = {set(packages)!r}\n{HIDING_FINDER}"
