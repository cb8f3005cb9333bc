"""Compiled twins of docket's pure-Python kernels (``docket/_kernels.py``)."""

from ._kernels import (
    KERNEL_ABI as KERNEL_ABI,
)
from ._kernels import (
    decode_envelope as decode_envelope,
)
from ._kernels import (
    encode_envelope as encode_envelope,
)
from ._kernels import (
    fold_runs as fold_runs,
)
from ._kernels import (
    parse_stream_reply as parse_stream_reply,
)

__all__ = ["KERNEL_ABI", "decode_envelope", "encode_envelope", "fold_runs", "parse_stream_reply"]
