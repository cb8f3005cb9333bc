"""rediss:// against a real TLS-only redis-server, with certificates made for the run: a docket
and its worker over TLS (the CA given in the URL), with client certificates, with
ssl_cert_reqs=none, and a CA that did not sign the server's certificate refused clearly."""

import shutil
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from docket import Docket, DocketConnectionError, Worker

from ..cli.commands import docket_command
from ..tls_server import Certificates, TlsRedisServer, make_certificates


@pytest.fixture(scope="module")
def certificates() -> Iterator[Certificates]:
    made = make_certificates()
    yield made
    shutil.rmtree(made.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def tls_server(certificates: Certificates) -> Iterator[TlsRedisServer]:
    server = TlsRedisServer(certificates, client_certificates=False)
    server.start()
    yield server
    server.cleanup()


@pytest.fixture(scope="module")
def mutual_tls_server(certificates: Certificates) -> Iterator[TlsRedisServer]:
    server = TlsRedisServer(certificates, client_certificates=True)
    server.start()
    yield server
    server.cleanup()


def with_options(url: str, **options: object) -> str:
    return url + "?" + "&".join(f"{name}={quote(str(value))}" for name, value in options.items())


async def run_one_task(url: str) -> list[int]:
    """Add a task on a docket at `url` and run it with a worker there; what it got."""
    ran: list[int] = []

    async def record(n: int) -> None:
        ran.append(n)

    async with Docket(f"tls-{uuid.uuid4().hex[:8]}", url) as docket:
        docket.register(record)
        await docket.add(record, key="over-tls")(7)
        async with Worker(docket) as worker:
            await worker.run_until_finished()
        assert await docket.get_execution("over-tls") is not None
    return ran


async def test_a_docket_and_its_worker_run_over_tls_with_the_ca_in_the_url(
    tls_server: TlsRedisServer, certificates: Certificates
) -> None:
    url = with_options(tls_server.url, ssl_ca_certs=certificates.ca)

    assert await run_one_task(url) == [7]


async def test_client_certificates_are_presented_when_the_server_asks(
    mutual_tls_server: TlsRedisServer, certificates: Certificates
) -> None:
    url = with_options(
        mutual_tls_server.url,
        ssl_ca_certs=certificates.ca,
        ssl_certfile=certificates.client_cert,
        ssl_keyfile=certificates.client_key,
    )

    assert await run_one_task(url) == [7]


async def test_without_a_client_certificate_the_server_refuses_and_says_so(
    mutual_tls_server: TlsRedisServer, certificates: Certificates
) -> None:
    url = with_options(mutual_tls_server.url, ssl_ca_certs=certificates.ca)

    with pytest.raises(DocketConnectionError) as refused:
        async with Docket("tls-no-client-cert", url):
            pass

    message = str(refused.value)
    assert "wants a client certificate" in message
    assert "ssl_certfile=/path/to/client.crt&ssl_keyfile=/path/to/client.key" in message


async def test_ssl_cert_reqs_none_skips_verification(tls_server: TlsRedisServer) -> None:
    url = with_options(tls_server.url, ssl_cert_reqs="none")

    assert await run_one_task(url) == [7]


async def test_a_ca_that_did_not_sign_the_server_certificate_is_a_clear_error(
    tls_server: TlsRedisServer, certificates: Certificates
) -> None:
    url = with_options(tls_server.url, ssl_ca_certs=certificates.other_ca)

    with pytest.raises(DocketConnectionError) as refused:
        async with Docket("tls-wrong-ca", url):
            pass

    message = str(refused.value)
    assert "CERTIFICATE_VERIFY_FAILED" in message  # what OpenSSL said
    assert "not signed by a CA this client trusts" in message
    assert "?ssl_ca_certs=/path/to/ca.crt" in message  # and what to pass


async def test_the_cli_says_the_same_in_one_line(
    tls_server: TlsRedisServer, certificates: Certificates
) -> None:
    url = with_options(tls_server.url, ssl_ca_certs=certificates.other_ca)

    line = (await docket_command("strikes", "--url", url, "--docket", "tls-cli")).error_line()

    assert "not signed by a CA this client trusts" in line
    assert "?ssl_ca_certs=/path/to/ca.crt" in line


async def test_a_plain_connection_to_the_tls_port_fails_clearly(
    tls_server: TlsRedisServer,
) -> None:
    plain = tls_server.url.replace("rediss://", "redis://")

    with pytest.raises(DocketConnectionError, match="cannot reach Redis"):
        async with Docket("tls-plain", plain):
            pass
