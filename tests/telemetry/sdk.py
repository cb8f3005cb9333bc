"""Installing an OpenTelemetry SDK's providers in this process, and removing them again.

The API lets a process set each global provider once; tests and benchmarks need several in turn,
so `reset_providers` puts the API back as it was before any was set.
"""

from opentelemetry import metrics, trace
from opentelemetry.metrics import _internal as metrics_internal
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.util._once import Once


def reset_providers() -> None:
    metrics_internal._METER_PROVIDER_SET_ONCE = Once()
    metrics_internal._METER_PROVIDER = None
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None


def install_providers(
    meter_provider: MeterProvider | None, tracer_provider: TracerProvider | None
) -> None:
    """Make these the global providers (None: leave that signal off)."""
    reset_providers()
    if meter_provider is not None:
        metrics.set_meter_provider(meter_provider)
    if tracer_provider is not None:
        trace.set_tracer_provider(tracer_provider)
