"""A web dashboard that shows and steers a docket (``docket dashboard``)."""

from ._app import DashboardSettings, create_app

__all__ = ["DashboardSettings", "create_app"]
