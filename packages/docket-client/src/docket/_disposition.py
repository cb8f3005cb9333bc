"""What an add or replace did with a call: scheduled it, or found its key already pending."""

import enum


class Disposition(enum.Enum):
    """The outcome of scheduling one call (`execution.disposition`)."""

    SCHEDULED = "scheduled"
    """The call was scheduled (an add, or a replace that replaced or scheduled it)."""
    ALREADY_SCHEDULED = "already_scheduled"
    """`add` found the call's key already pending and scheduled nothing."""
