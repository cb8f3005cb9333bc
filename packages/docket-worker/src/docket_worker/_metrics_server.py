"""`docket worker --metrics-port`: docket's OpenTelemetry metrics in Prometheus text format.

Needs the ``metrics`` extra (``docket-worker[metrics]``: the OpenTelemetry SDK, its Prometheus
exporter and prometheus-client). Call it before opening the Docket and the Worker, which look
for a MeterProvider when they open.
"""

import logging
from collections.abc import Callable

logger = logging.getLogger("docket.worker")

MISSING = (
    "--metrics-port needs the metrics extra: install docket-worker[metrics] "
    "(uv add 'docket-worker[metrics]' or pip install 'docket-worker[metrics]')"
)


class MetricsUnavailableError(ImportError):
    """The metrics extra is not installed."""


def serve_metrics(port: int, host: str = "0.0.0.0") -> Callable[[], None]:
    """Install a MeterProvider whose metrics are served on http://host:port/metrics; return a
    function that stops the server. OSError if the port cannot be bound."""
    try:
        from opentelemetry import metrics
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from opentelemetry.sdk.metrics import MeterProvider
        from prometheus_client import REGISTRY, start_http_server
    except ImportError as error:
        raise MetricsUnavailableError(f"{MISSING} ({error})") from error
    from docket._telemetry import configured

    server, thread = start_http_server(port, addr=host, registry=REGISTRY)
    if configured(metrics.get_meter_provider()):
        logger.warning(
            "a MeterProvider is configured already: /metrics on port %d serves only what "
            "reaches prometheus_client's registry (add a PrometheusMetricReader to yours)",
            port,
        )
    else:
        metrics.set_meter_provider(MeterProvider(metric_readers=[PrometheusMetricReader()]))

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join()

    return stop
