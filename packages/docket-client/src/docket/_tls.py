"""What to do about a TLS handshake that failed, in words a user can act on.

redis-py reports the OpenSSL reason inside its connection error; these hints turn the common
ones (an untrusted server certificate, a client certificate the server wants, TLS spoken to a
plain port) into the URL option that fixes each.
"""

_HINTS = (
    (
        ("CERTIFICATE_VERIFY_FAILED",),
        "The server's TLS certificate is not signed by a CA this client trusts: pass that CA's "
        "certificate in the URL, ?ssl_ca_certs=/path/to/ca.crt (ssl_cert_reqs=none skips the "
        "check, never in production).",
    ),
    (
        ("CERTIFICATE_REQUIRED", "alert certificate required", "ALERT_UNKNOWN_CA", "BAD_CERT"),
        "The server wants a client certificate it trusts: pass one in the URL, "
        "?ssl_certfile=/path/to/client.crt&ssl_keyfile=/path/to/client.key.",
    ),
    (
        ("WRONG_VERSION_NUMBER", "record layer failure"),
        "The server does not speak TLS on that port: use redis:// there, or its TLS port.",
    ),
)


_DROPPED = ("reset by peer", "EOF occurred", "Connection closed by server")
"""How a TLS 1.3 server that refuses the client's certificate often shows: it drops the
connection right after the handshake, before its alert is read."""


def tls_hint(reason: str, url: str) -> str | None:
    """The advice for a connection error whose text is `reason`, from opening `url`, if it
    looks like a TLS failure."""
    for needles, hint in _HINTS:
        if any(needle in reason for needle in needles):
            return hint
    tls = url.partition("://")[0].lower().startswith("rediss")
    if tls and "ssl_certfile" not in url and any(drop in reason for drop in _DROPPED):
        return (
            "If the server asks for client certificates (tls-auth-clients), it wants a client "
            "certificate it trusts: pass one in the URL, "
            "?ssl_certfile=/path/to/client.crt&ssl_keyfile=/path/to/client.key."
        )
    return None
