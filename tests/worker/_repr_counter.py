"""An argument that counts how often it is shown in a log (for test_logged.py)."""

shown = 0


class Noisy:
    """Picklable; its repr counts itself."""

    def __repr__(self) -> str:
        global shown
        shown += 1
        return "Noisy()"
