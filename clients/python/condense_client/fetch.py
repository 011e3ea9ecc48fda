"""Downloads a container URL the way the validator does (ts/validator/verify/download.ts, url-policy.ts):
http/https only, no credentials; every address the host resolves to is checked when the socket connects, and
the socket is connected to exactly the address that was checked; redirects refused by default, else each
hop re-checked; a byte cap on Content-Length and on the bytes counted; one deadline for the whole download.

Written on the standard library's http.client rather than requests/urllib3 because the checks need to own
the socket (connect to the vetted address, not re-resolve the name) and a whole-download deadline needs a
timeout on every single read; http.client takes a ready socket and reads one chunk at a time (read1).
"""
from __future__ import annotations

import hashlib
import http.client
import os
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import SplitResult, urljoin, urlsplit

from .address import AddressPolicy, check_address, parse_ip
from .errors import ClientError

# (host, port) -> [(family, sockaddr)]; injectable so tests can make a name resolve to any address
Resolver = Callable[[str, int], list[tuple[int, tuple]]]
CHUNK = 1 << 16


def system_resolver(host: str, port: int) -> list[tuple[int, tuple]]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [(fam, addr) for fam, _, _, _, addr in infos]


@dataclass(frozen=True)
class FetchPolicy:
    allow_private: bool = False
    allow_addresses: tuple[str, ...] = ()
    max_url_length: int = 2048
    # redirects followed, each re-checked like the first URL; 0 refuses every redirect (the validator's default)
    max_redirects: int = 0
    # the whole download, redirects included, seconds
    timeout_s: float = 60.0
    connect_timeout_s: float = 10.0
    resolver: Resolver = field(default=system_resolver, repr=False)
    # TLS settings for https (e.g. a private CA's store); default: the system's CAs, hostname checked
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)

    @property
    def address(self) -> AddressPolicy:
        return AddressPolicy(self.allow_private, tuple(self.allow_addresses))


@dataclass(frozen=True)
class Downloaded:
    path: str
    bytes: int
    sha256: str
    url: str  # after any allowed redirect


def check_url(raw: str, policy: FetchPolicy) -> SplitResult:
    """The URL's form, and its host's address when the host is an IP literal (no lookup for those)."""
    if not isinstance(raw, str) or not 0 < len(raw) <= policy.max_url_length:
        n = len(raw) if isinstance(raw, str) else type(raw).__name__
        raise ClientError("URL_INVALID", f"URL of {n} characters (max {policy.max_url_length})")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in raw):
        raise ClientError("URL_INVALID", "URL contains whitespace or a control character")
    try:
        url = urlsplit(raw)
        port = url.port
    except ValueError as err:
        raise ClientError("URL_INVALID", f"URL does not parse: {err}") from None
    if url.scheme not in ("http", "https"):
        raise ClientError("URL_SCHEME", f"scheme {url.scheme!r} refused (http or https only)")
    if url.username is not None or url.password is not None:
        raise ClientError("URL_INVALID", "URL carries credentials")
    host = url.hostname
    if not host:
        raise ClientError("URL_INVALID", "URL has no host")
    if port == 0:
        raise ClientError("URL_INVALID", "URL port 0")
    if parse_ip(host) is not None:
        ok, cls = check_address(host, policy.address)
        if not ok:
            raise ClientError("ADDRESS_REFUSED", f"host {host} is {cls}", cls)
    return url


def _connect(host: str, port: int, policy: FetchPolicy, deadline: float) -> socket.socket:
    """Resolves `host`, refuses unless EVERY answer is allowed, then connects to a vetted address."""
    literal = parse_ip(host)
    if literal is not None:
        fam = socket.AF_INET6 if literal.version == 6 else socket.AF_INET
        answers = [(fam, (host, port) if fam == socket.AF_INET else (host, port, 0, 0))]
    else:
        try:
            answers = policy.resolver(host, port)
        except (OSError, UnicodeError) as err:
            raise ClientError("DNS_FAILED", f"{host}: {err}") from None
    if not answers:
        raise ClientError("DNS_FAILED", f"{host} has no addresses")
    for _, addr in answers:
        ok, cls = check_address(str(addr[0]), policy.address)
        if not ok:
            raise ClientError("ADDRESS_REFUSED", f"{host} resolves to {addr[0]} ({cls})", cls)
    last: Exception | None = None
    for fam, addr in answers:
        left = deadline - time.monotonic()
        if left <= 0:
            raise ClientError("DEADLINE", "download deadline passed while connecting")
        sock = socket.socket(fam, socket.SOCK_STREAM)
        sock.settimeout(min(policy.connect_timeout_s, left))
        try:
            sock.connect(addr)
            return sock
        except OSError as err:
            sock.close()
            last = err
    if isinstance(last, TimeoutError) and time.monotonic() >= deadline:
        raise ClientError("DEADLINE", "download deadline passed while connecting")
    raise ClientError("NETWORK", f"cannot connect to {host}:{port}: {last}")


class _Watchdog:
    """Shuts the socket down at the deadline, so no slow drip of bytes or headers can outlast it."""

    def __init__(self, sock: socket.socket, deadline: float):
        self.fired = False
        self._sock = sock
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self):
        self.fired = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def cancel(self):
        self._timer.cancel()


def private_dir() -> str:
    """A 0700 directory under /dev/shm when usable (tmpfs), else under the OS temp dir."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return tempfile.mkdtemp(prefix="condense-client-", dir=base)


def download(raw_url: str, max_bytes: int, policy: FetchPolicy, dest_dir: str | None = None) -> Downloaded:
    """Streams `raw_url` to a new 0600 file in `dest_dir` (a private tmpfs folder by default); raises
    ClientError. On any refusal the partial file is deleted. The caller deletes the file when done."""
    if not isinstance(max_bytes, int) or max_bytes < 0:
        raise ClientError("BAD_ARGUMENT", f"max_bytes must be a non-negative integer, got {max_bytes!r}")
    if policy.max_redirects < 0 or policy.timeout_s <= 0:
        raise ClientError("BAD_ARGUMENT", "max_redirects must be >= 0 and timeout_s > 0")
    deadline = time.monotonic() + policy.timeout_s
    url = check_url(raw_url, policy)
    dest_dir = dest_dir or private_dir()
    for hop in range(policy.max_redirects + 1):
        got = _get(url, max_bytes, policy, deadline, dest_dir)
        if isinstance(got, Downloaded):
            return got
        if policy.max_redirects == 0:
            raise ClientError("REDIRECT_REFUSED", f"status {got[0]} (redirects are refused)")
        if hop >= policy.max_redirects:
            break
        url = check_url(urljoin(url.geturl(), got[1]), policy)
    raise ClientError("TOO_MANY_REDIRECTS", f"more than {policy.max_redirects}")


def _get(url: SplitResult, max_bytes: int, policy: FetchPolicy, deadline: float, dest_dir: str):
    """One GET: a Downloaded, or (status, location) for a redirect."""
    https = url.scheme == "https"
    host = url.hostname
    port = url.port or (443 if https else 80)
    sock = _connect(host, port, policy, deadline)
    dog = _Watchdog(sock, deadline)
    path = None
    try:
        conn_cls = http.client.HTTPSConnection if https else http.client.HTTPConnection
        conn = conn_cls(host, port, timeout=max(0.001, deadline - time.monotonic()))
        if https:
            ctx = policy.ssl_context or ssl.create_default_context()
            sock = ctx.wrap_socket(sock, server_hostname=host)
        conn.sock = sock  # http.client uses a socket that is already set instead of dialling again
        target = (url.path or "/") + (f"?{url.query}" if url.query else "")
        conn.request("GET", target, headers={"User-Agent": "condense-client", "Accept-Encoding": "identity"})
        resp = conn.getresponse()
        if 300 <= resp.status < 400 and resp.getheader("Location") is not None:
            return resp.status, resp.getheader("Location")
        if resp.status != 200:
            raise ClientError("HTTP_STATUS", f"status {resp.status}")
        declared = resp.getheader("Content-Length")
        if declared is not None:
            if not declared.strip().isdigit() or int(declared) > max_bytes:
                raise ClientError("SIZE_DECLARED", f"Content-Length {declared[:32]} > cap {max_bytes}")
        fd, path = tempfile.mkstemp(dir=dest_dir, suffix=".download")  # mkstemp: 0600, a new name
        digest, total = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ClientError("DEADLINE", "download deadline passed")
                sock.settimeout(left)
                chunk = resp.read1(CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > max_bytes:
                    raise ClientError("SIZE_EXCEEDED", f"more than {max_bytes} bytes")
                digest.update(chunk)
                try:
                    out.write(chunk)
                except OSError as err:
                    raise ClientError("IO", f"cannot write the download to {dest_dir}: {err}") from None
        if dog.fired:  # the shutdown may read as a clean end of a body without Content-Length
            raise ClientError("DEADLINE", "download deadline passed")
        if declared is not None and total != int(declared):
            raise ClientError("NETWORK", f"body of {total} bytes, Content-Length said {declared}")
        done, path = Downloaded(path, total, digest.hexdigest(), url.geturl()), None
        return done
    except ClientError:
        raise
    except (TimeoutError, socket.timeout):
        raise ClientError("DEADLINE", "download deadline passed") from None
    except ssl.SSLError as err:
        raise ClientError("NETWORK", f"TLS: {err}") from None
    except (OSError, http.client.HTTPException) as err:
        if dog.fired or time.monotonic() >= deadline:
            raise ClientError("DEADLINE", "download deadline passed") from None
        raise ClientError("NETWORK", f"{type(err).__name__}: {err}") from None
    finally:
        dog.cancel()
        sock.close()
        if path is not None:
            try:
                os.unlink(path)
            except OSError:
                pass
