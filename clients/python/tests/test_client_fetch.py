"""The download's safety checks, attacked from outside: real loopback servers that redirect, lie about their
size, stall or drip; names that resolve to refused addresses. Each refusal is checked by its code, and where
the point is that nothing was dialled, by the server having seen no request."""
from __future__ import annotations

import os
import socket
import threading

import pytest

from condense_client import ClientError, FetchPolicy, check_address, classify, download, load_container
from client_helpers import send_file

LOOPBACK_OK = FetchPolicy(allow_addresses=("127.0.0.1",), timeout_s=10)
release = threading.Event()


@pytest.fixture(autouse=True)
def _release_stalled():
    release.clear()
    yield
    release.set()  # let stalled handler threads finish


def code_of(fn) -> str:
    with pytest.raises(ClientError) as err:
        fn()
    return err.value.code


def resolver_for(table):
    """A resolver that answers from `table` (name -> IPv4 address) and refuses every other name."""
    def resolve(host, port):
        if host not in table:
            raise socket.gaierror(f"unknown test name {host}")
        return [(socket.AF_INET, (table[host], port))]
    return resolve


@pytest.mark.parametrize("ip,cls", [
    ("127.0.0.1", "loopback"), ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"),
    ("169.254.1.1", "link_local"), ("169.254.169.254", "metadata"), ("100.64.0.1", "cgnat"), ("0.0.0.0", "unspecified"),
    ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"), ("::ffff:169.254.169.254", "metadata"), ("fe80::1%eth0", "link_local"),
    ("fd00::1", "ula"), ("fd00:ec2::254", "metadata"), ("2002::1", "transition"), ("8.8.8.8", "public"),
    ("2606:4700::1111", "public"), ("224.0.0.1", "multicast"), ("192.0.2.1", "reserved"), ("127.1", "invalid"),
    ("0x7f.0.0.1", "invalid"),
])
def test_address_classes_match_the_validator_policy(ip, cls):
    assert classify(ip) == cls


def test_allow_private_never_lets_metadata_through():
    from condense_client import AddressPolicy
    assert check_address("127.0.0.1", AddressPolicy(allow_private=True)) == (True, "loopback")
    assert check_address("169.254.169.254", AddressPolicy(allow_private=True)) == (False, "metadata")


def test_a_url_at_127_0_0_1_is_refused_before_anything_is_dialled(server, tmp_path, write):
    url, hits = server(send_file(write()))
    assert code_of(lambda: download(url + "/c.safetensors", 1 << 20, FetchPolicy(), str(tmp_path))) == "ADDRESS_REFUSED"
    assert hits == []


def test_a_name_that_resolves_to_loopback_is_refused_at_connect_time(server, tmp_path, write):
    url, hits = server(send_file(write()))
    port = url.rsplit(":", 1)[1]
    # "localhost" is not an IP literal: only the connect-time check on its resolved address stops it
    assert code_of(lambda: download(f"http://localhost:{port}/c", 1 << 20, FetchPolicy(), str(tmp_path))) == "ADDRESS_REFUSED"
    policy = FetchPolicy(resolver=resolver_for({"miner.example": "127.0.0.1"}))
    with pytest.raises(ClientError) as err:
        download(f"http://miner.example:{port}/c", 1 << 20, policy, str(tmp_path))
    assert err.value.code == "ADDRESS_REFUSED" and err.value.address_class == "loopback"
    assert hits == []


def test_schemes_and_credentials_are_refused(tmp_path):
    for url, code in [("file:///etc/passwd", "URL_SCHEME"), ("ftp://example.com/x", "URL_SCHEME"),
                      ("http://user:pw@example.com/x", "URL_INVALID"), ("http:///x", "URL_INVALID"),
                      ("http://example.com/" + "a" * 3000, "URL_INVALID"), ("http://exa mple.com/", "URL_INVALID")]:
        assert code_of(lambda: download(url, 1 << 20, FetchPolicy(), str(tmp_path))) == code, url


def test_the_same_url_loads_with_allow_private(server, write, tiny):
    url, hits = server(send_file(write()))
    c = load_container(url + "/c.safetensors", tiny, allow_private=True)
    assert c.url == url + "/c.safetensors" and c.kept_tokens > 0 and hits == ["/c.safetensors"]


def test_a_redirect_is_refused_by_default_and_a_redirect_to_a_private_address_is_refused_when_followed(server, tmp_path, write):
    target, target_hits = server(send_file(write()))
    port = target.rsplit(":", 1)[1]

    def redirect_to(location):
        def h(req):
            req.send_response(302)
            req.send_header("Location", location)
            req.send_header("Content-Length", "0")
            req.end_headers()
        return h

    # the first hop is allowed (its exact address is listed), the redirect goes to another loopback address
    url, _ = server(redirect_to(f"http://127.0.0.2:{port}/c"))
    assert code_of(lambda: download(url + "/a", 1 << 20, LOOPBACK_OK, str(tmp_path))) == "REDIRECT_REFUSED"
    follow = FetchPolicy(allow_addresses=("127.0.0.1",), max_redirects=3, timeout_s=10,
                         resolver=resolver_for({"evil.example": "169.254.169.254"}))
    with pytest.raises(ClientError) as err:
        download(url + "/a", 1 << 20, follow, str(tmp_path))
    assert err.value.code == "ADDRESS_REFUSED" and err.value.address_class == "loopback"
    # a redirect to a name that resolves to the cloud metadata address: refused at connect time
    url2, _ = server(redirect_to(f"http://evil.example:{port}/c"))
    with pytest.raises(ClientError) as err:
        download(url2 + "/b", 1 << 20, follow, str(tmp_path))
    assert err.value.code == "ADDRESS_REFUSED" and err.value.address_class == "metadata"
    assert target_hits == []
    # followed to an allowed address, the redirect works, and a loop ends at the cap
    url3, _ = server(redirect_to(f"{target}/c"))
    dl = tmp_path / "dl"
    dl.mkdir()
    got = download(url3 + "/d", 1 << 20, follow, str(dl))
    assert got.url == f"{target}/c" and target_hits == ["/c"]
    os.unlink(got.path)
    loop, _ = server(lambda req: redirect_to(req.path + "x")(req))
    assert code_of(lambda: download(loop + "/e", 1 << 20, follow, str(dl))) == "TOO_MANY_REDIRECTS"
    assert os.listdir(dl) == []  # nothing partial left behind


def test_an_oversized_content_length_is_refused_and_an_undeclared_overrun_is_cut(server, tmp_path):
    def declared(req):
        req.send_response(200)
        req.send_header("Content-Length", str(10 << 30))
        req.end_headers()
        release.wait(10)

    url, _ = server(declared)
    assert code_of(lambda: download(url + "/big", 1 << 20, LOOPBACK_OK, str(tmp_path))) == "SIZE_DECLARED"

    def chunked(req):  # no Content-Length: the counted bytes are the cap
        req.send_response(200)
        req.send_header("Transfer-Encoding", "chunked")
        req.end_headers()
        block = b"x" * 65536
        try:
            for _ in range(64):
                req.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
        except OSError:
            pass

    url, _ = server(chunked)
    assert code_of(lambda: download(url + "/big", 1 << 20, LOOPBACK_OK, str(tmp_path))) == "SIZE_EXCEEDED"
    assert os.listdir(tmp_path) == []


def test_a_stalling_server_and_a_dripping_server_time_out(server, tmp_path):
    def stall(req):
        release.wait(10)

    def drip(req):
        req.send_response(200)
        req.send_header("Content-Length", "1000")
        req.end_headers()
        try:
            for _ in range(1000):  # a byte every 50 ms: each read is quick, the whole would take 50 s
                req.wfile.write(b"x")
                req.wfile.flush()
                if release.wait(0.05):
                    return
        except OSError:
            pass

    quick = FetchPolicy(allow_addresses=("127.0.0.1",), timeout_s=1.0)
    for h in (stall, drip):
        url, _ = server(h)
        assert code_of(lambda: download(url + "/slow", 1 << 20, quick, str(tmp_path))) == "DEADLINE", h.__name__
    assert os.listdir(tmp_path) == []


def test_non_200_and_a_short_body_are_refused(server, tmp_path):
    def status(req):
        req.send_response(404)
        req.send_header("Content-Length", "0")
        req.end_headers()

    def short(req):
        req.send_response(200)
        req.send_header("Content-Length", "100")
        req.end_headers()
        req.wfile.write(b"y" * 10)
        req.close_connection = True

    url, _ = server(status)
    assert code_of(lambda: download(url + "/x", 1 << 20, LOOPBACK_OK, str(tmp_path))) == "HTTP_STATUS"
    url, _ = server(short)
    assert code_of(lambda: download(url + "/x", 1 << 20, LOOPBACK_OK, str(tmp_path))) == "NETWORK"


def test_the_model_sets_the_cap_before_a_byte_arrives(server, write, tiny):
    """A container URL whose Content-Length is above what this model's largest container can be is refused
    by load_container itself (the cap comes from the model config and max_kept_tokens)."""
    path = write()
    size = os.path.getsize(path)
    url, _ = server(send_file(path))
    assert code_of(lambda: load_container(url + "/c", tiny, allow_private=True, max_kept_tokens=4)) == "SIZE_DECLARED"
    assert code_of(lambda: load_container(url + "/c", tiny, allow_private=True, max_bytes=size - 1)) == "SIZE_DECLARED"
    assert load_container(url + "/c", tiny, allow_private=True, max_bytes=size).bytes == size


def test_https_checks_the_certificate_and_the_host_name(tmp_path, write):
    """A self-signed server is refused with the system's CAs; trusting its certificate, the download works
    (TLS on the socket that was vetted, SNI and the hostname check against the URL's host)."""
    import ssl
    import subprocess

    from client_helpers import serve

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    path = write()
    srv, hits = serve(send_file(path))
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    srv.socket = server_ctx.wrap_socket(srv.socket, server_side=True)
    try:
        port = srv.server_address[1]
        url = f"https://127.0.0.1:{port}/c.safetensors"
        dl = tmp_path / "dl"
        dl.mkdir()
        with pytest.raises(ClientError) as err:
            download(url, 1 << 20, LOOPBACK_OK, str(dl))
        assert err.value.code == "NETWORK" and "CERTIFICATE_VERIFY_FAILED" in err.value.detail
        trusted = ssl.create_default_context(cafile=str(cert))
        policy = FetchPolicy(allow_addresses=("127.0.0.1",), timeout_s=10, ssl_context=trusted)
        got = download(url, 1 << 20, policy, str(dl))
        assert got.bytes == os.path.getsize(path)
        # the certificate names localhost and 127.0.0.1; a name it does not carry fails the hostname check
        other = FetchPolicy(allow_addresses=("127.0.0.1",), timeout_s=10, ssl_context=trusted,
                            resolver=resolver_for({"miner.example": "127.0.0.1"}))
        with pytest.raises(ClientError) as err:
            download(f"https://miner.example:{port}/c", 1 << 20, other, str(dl))
        assert err.value.code == "NETWORK" and "miner.example" in err.value.detail
    finally:
        srv.shutdown()
        srv.server_close()
