"""Logging setup for the `docket` command; the library packages never configure logging."""

import enum
import importlib.util
import json
import logging
import sys
from datetime import UTC, datetime


class LogLevel(enum.StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"


class LogFormat(enum.StrEnum):
    RICH = "rich"
    PLAIN = "plain"
    JSON = "json"


HANDLER_NAME = "docket-cli"
PLAIN_FORMAT = "[%(asctime)s] %(levelname)s - %(name)s - %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and exc_info if any)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def rich_available() -> bool:
    return importlib.util.find_spec("rich") is not None


def default_format() -> LogFormat:
    """Rich on a terminal when rich is installed, plain otherwise (files, pipes, containers)."""
    return LogFormat.RICH if sys.stderr.isatty() and rich_available() else LogFormat.PLAIN


def configure_logging(level: LogLevel, format: LogFormat | None) -> None:
    """Send every log record to stderr in the chosen format, at `level` and above."""
    chosen = format or default_format()
    fallback = chosen is LogFormat.RICH and not rich_available()
    if fallback:
        chosen = LogFormat.PLAIN
    handler: logging.Handler
    if chosen is LogFormat.RICH:
        from rich.console import Console
        from rich.logging import RichHandler

        handler = RichHandler(console=Console(stderr=True), show_path=False)
        handler.setFormatter(logging.Formatter("%(message)s", datefmt="[%X]"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        if chosen is LogFormat.JSON:
            handler.setFormatter(JsonFormatter())
        else:
            handler.setFormatter(logging.Formatter(PLAIN_FORMAT, datefmt="%Y-%m-%d %H:%M:%S"))
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    for installed in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(installed)  # configured twice in one process (tests): replace
    root.addHandler(handler)
    root.setLevel(level.value)
    if fallback:
        logging.getLogger("docket.cli").warning(
            "rich logging needs the rich package (`uv add rich`); using plain logs"
        )
