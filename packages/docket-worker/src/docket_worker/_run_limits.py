"""run_at_most: run some keys at most n times, so tests of chains come to an end."""

from collections.abc import Mapping


class RunLimits:
    """How many more runs each limited key may have."""

    def __init__(self, limits: Mapping[str, int]) -> None:
        for key, most in limits.items():
            if most < 0:
                raise ValueError(f"run_at_most({{{key!r}: {most}}}): a count cannot be negative.")
        self.left = dict(limits)

    def may_run(self, key: str) -> bool:
        """Count a run of `key` if it may have one; False once its runs are used up."""
        left = self.left.get(key)
        if left is None:
            return True
        if left == 0:
            return False
        self.left[key] = left - 1
        return True

    def used_up(self, key: str) -> bool:
        """Whether `key` has had all its runs (so its chain should not go on)."""
        return self.left.get(key) == 0
