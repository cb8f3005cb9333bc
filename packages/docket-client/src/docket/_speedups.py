"""Pick the compiled kernels from docket-speedups, or the pure-Python twins, once at import.

``IMPLEMENTATION`` is ``"cython"`` or ``"python"`` and ``REASON`` says why.
Set ``DOCKET_NO_EXTENSIONS=1`` to force the pure-Python kernels.
"""

import importlib
import os
import warnings
from types import ModuleType
from typing import TYPE_CHECKING

from . import _kernels


def _select() -> tuple[ModuleType, str, str]:
    if os.environ.get("DOCKET_NO_EXTENSIONS"):
        return _kernels, "python", "disabled by DOCKET_NO_EXTENSIONS"
    try:
        compiled = importlib.import_module("docket_speedups")
    except ImportError:
        return _kernels, "python", "docket-speedups is not installed"
    if compiled.KERNEL_ABI != _kernels.KERNEL_ABI:
        reason = (
            f"docket-speedups has kernel ABI {compiled.KERNEL_ABI} but this docket needs "
            f"{_kernels.KERNEL_ABI}"
        )
        warnings.warn(
            f"{reason}; using the pure-Python kernels. Run `uv sync` to rebuild it.",
            RuntimeWarning,
            stacklevel=3,
        )
        return _kernels, "python", reason
    return compiled, "cython", "docket-speedups is installed"


_chosen, IMPLEMENTATION, REASON = _select()

if TYPE_CHECKING:
    from ._kernels import decode_envelope, encode_envelope, fold_runs, parse_stream_reply
else:
    encode_envelope = _chosen.encode_envelope
    decode_envelope = _chosen.decode_envelope
    parse_stream_reply = _chosen.parse_stream_reply
    fold_runs = _chosen.fold_runs

__all__ = [
    "IMPLEMENTATION",
    "REASON",
    "decode_envelope",
    "encode_envelope",
    "fold_runs",
    "parse_stream_reply",
]
