"""The dashboard's guards: the action token, the CSRF cookie and the Origin check."""

import hmac
import ipaddress
import secrets

from starlette.requests import Request

CSRF_COOKIE = "docket_csrf"


def is_loopback(host: str) -> bool:
    """Whether `host` binds only the local machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def new_csrf() -> str:
    """A fresh CSRF value for the cookie and the forms."""
    return secrets.token_urlsafe(24)


def same_origin(request: Request) -> bool:
    """Whether the request's Origin (or Referer) is the dashboard's own."""
    origin = request.headers.get("origin") or request.headers.get("referer") or ""
    host = request.headers.get("host", "")
    return bool(host) and (origin == f"http://{host}" or origin.startswith(f"http://{host}/"))


def action_refusal(
    request: Request, form_csrf: str, form_token: str, token: str | None, read_only: bool
) -> str | None:
    """Why an action must be refused, or None when it may go on."""
    if read_only:
        return "the dashboard is read-only (--read-only)"
    if not token:
        return "actions need a token: start the dashboard with --token"
    if not hmac.compare_digest(form_token.encode(), token.encode()):
        return "wrong or missing token"
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), form_csrf.encode()):
        return "cross-site request refused (CSRF token mismatch)"
    if not same_origin(request):
        return "cross-site request refused (Origin)"
    return None
