"""Hiding the credentials a docket URL carries, for logs, reprs and error messages.

A URL carries secrets as ``user:password@`` or ``:password@`` before the host (or hosts, as in
``redis+sentinel://a:26379,b:26379``) and as query options whose names contain ``pass``,
``pwd``, ``secret`` or ``token`` (``?password=``, ``?sentinel_password=``, ``?ssl_password=``…).
"""

from urllib.parse import unquote, unquote_plus

HIDDEN = "***"
SECRET_OPTION_WORDS = ("pass", "pwd", "secret", "token")


def redact_url(url: str) -> str:
    """The URL with every password, secret and token replaced by ``***``, for logs and errors."""
    head, query, fragment = _split(url)
    prefix, userinfo, rest = _split_userinfo(head)
    user, colon, password = userinfo.partition(":")
    if colon and password:
        head = f"{prefix}{user}:{HIDDEN}@{rest}"
    if query:
        options = query[1:].split("&")
        query = "?" + "&".join(_redact_option(option) for option in options)
    return head + query + fragment


def redact_text(text: str, url: str) -> str:
    """`text` (an error message, say) with `url` and each of its secrets hidden."""
    text = text.replace(url, redact_url(url))
    for secret in sorted(url_secrets(url), key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    return text


def url_secrets(url: str) -> set[str]:
    """Each secret `url` holds, as written and as decoded (as redis-py would send it)."""
    head, query, _fragment = _split(url)
    password = _split_userinfo(head)[1].partition(":")[2]
    written = [(password, unquote(password))]
    for option in query[1:].split("&"):
        name, equals, value = option.partition("=")
        if equals and _is_secret_option(name):
            written.append((value, unquote_plus(value)))
    return {form for pair in written for form in pair if form}


def _split(url: str) -> tuple[str, str, str]:
    """(everything before the query, ``?query`` or "", ``#fragment`` or "")."""
    before_fragment, hash_mark, fragment = url.partition("#")
    head, question, query = before_fragment.partition("?")
    return head, question + query, hash_mark + fragment


def _split_userinfo(head: str) -> tuple[str, str, str]:
    """(``scheme://``, the userinfo, what follows its ``@``); userinfo "" when there is none.

    The userinfo ends at the last ``@`` before the query, so a password with an unencoded
    ``@`` or ``/`` (common in generated passwords) is still hidden whole.
    """
    scheme, separator, rest = head.partition("://")
    if not separator:
        scheme, rest = "", head
    userinfo, at, after = rest.rpartition("@")
    if not at:
        return f"{scheme}{separator}", "", rest
    return f"{scheme}{separator}", userinfo, after


def _redact_option(option: str) -> str:
    name, equals, value = option.partition("=")
    if equals and value and _is_secret_option(name):
        return f"{name}={HIDDEN}"
    return option


def _is_secret_option(name: str) -> bool:
    lowered = unquote_plus(name).lower()
    return any(word in lowered for word in SECRET_OPTION_WORDS)
