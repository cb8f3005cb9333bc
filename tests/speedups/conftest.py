"""Every example-based kernel test runs on the pure-Python kernels and on their Cython twins."""

import pytest

from .kernel_api import PURE, Kernels, load_compiled


@pytest.fixture(scope="session")
def compiled_kernels() -> Kernels:
    """The Cython twins (the test fails without them unless DOCKET_NO_EXTENSIONS is set)."""
    return load_compiled()


@pytest.fixture(
    params=["python", pytest.param("cython", marks=pytest.mark.speedups)],
)
def kernels(request: pytest.FixtureRequest) -> Kernels:
    """One kernel implementation: ``python`` (docket._kernels) or ``cython`` (docket_speedups)."""
    if request.param == "cython":
        compiled: Kernels = request.getfixturevalue("compiled_kernels")
        return compiled
    return PURE
