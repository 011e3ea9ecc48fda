"""Which IP addresses the client may dial: the class rules of the validator's dial policy
(ts/validator/verify/address-policy.ts), in Python. A container URL comes from a miner, so anything that
reaches the caller's own host or network (loopback, private ranges, link-local, cloud metadata, ...) is
refused unless the caller runs a local network (`allow_private`). IPv6 forms that embed an IPv4 address are
judged by the address they embed."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

# Classes that allow_private lets through (a local network runs its miners and stores on these).
PRIVATE_CLASSES = frozenset({"loopback", "private", "link_local", "cgnat", "ula", "unspecified"})

# Instance-metadata endpoints of the big clouds: never dialled, not even with allow_private.
METADATA = frozenset({"169.254.169.254", "169.254.170.2", "169.254.169.253", "100.100.100.200", "192.0.0.192",
                      "fd00:ec2::254", "fd00:ec2::253"})

_V4_NETS = (
    ("loopback", ipaddress.ip_network("127.0.0.0/8")),
    ("unspecified", ipaddress.ip_network("0.0.0.0/8")),
    ("private", ipaddress.ip_network("10.0.0.0/8")),
    ("private", ipaddress.ip_network("172.16.0.0/12")),
    ("private", ipaddress.ip_network("192.168.0.0/16")),
    ("link_local", ipaddress.ip_network("169.254.0.0/16")),
    ("cgnat", ipaddress.ip_network("100.64.0.0/10")),
    ("multicast", ipaddress.ip_network("224.0.0.0/4")),
    ("broadcast", ipaddress.ip_network("255.255.255.255/32")),
)
_V6_NETS = (
    ("link_local", ipaddress.ip_network("fe80::/10")),
    ("ula", ipaddress.ip_network("fc00::/7")),
    ("multicast", ipaddress.ip_network("ff00::/8")),
    ("transition", ipaddress.ip_network("64:ff9b::/96")),     # NAT64 (RFC 6052)
    ("transition", ipaddress.ip_network("::ffff:0:0:0/96")),  # RFC 6145
    ("transition", ipaddress.ip_network("2002::/16")),        # 6to4
    ("transition", ipaddress.ip_network("2001::/32")),        # Teredo
)


@dataclass(frozen=True)
class AddressPolicy:
    allow_private: bool = False
    # exact addresses let through whatever their class (e.g. an operator's own object store)
    allow_addresses: tuple[str, ...] = field(default_factory=tuple)


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP literal (IPv4 dotted quad only, IPv6 with or without brackets and zone id), else None."""
    if not isinstance(text, str) or not 0 < len(text) <= 64:
        return None
    s = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    s = s.split("%", 1)[0]
    try:
        return ipaddress.ip_address(s)  # refuses "127.1", octal and hex parts: resolvers differ on them
    except ValueError:
        return None


def _embedded_v4(a: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if a.ipv4_mapped is not None:
        return a.ipv4_mapped
    b = a.packed
    # IPv4-compatible ::a.b.c.d, except :: and ::1 (IPv6's own unspecified and loopback)
    if b[:12] == bytes(12) and not (b[12:15] == bytes(3) and b[15] in (0, 1)):
        return ipaddress.IPv4Address(b[12:])
    return None


def _classify_v4(a: ipaddress.IPv4Address) -> str:
    if str(a) in METADATA:
        return "metadata"
    for cls, net in _V4_NETS:
        if a in net:
            return cls
    return "public" if a.is_global else "reserved"


def classify(text: str) -> str:
    """The address class of one textual IP address ('invalid' when it is not one)."""
    a = parse_ip(text)
    if a is None:
        return "invalid"
    if isinstance(a, ipaddress.IPv4Address):
        return _classify_v4(a)
    a = ipaddress.IPv6Address(a.packed)  # drop the zone id
    v4 = _embedded_v4(a)
    if v4 is not None:
        return _classify_v4(v4)
    if str(a) in METADATA:
        return "metadata"
    if a == ipaddress.IPv6Address("::1"):
        return "loopback"
    if a == ipaddress.IPv6Address("::"):
        return "unspecified"
    for cls, net in _V6_NETS:
        if a in net:
            return cls
    return "public" if a.is_global else "reserved"


def _normal(text: str) -> str | None:
    a = parse_ip(text)
    if a is None:
        return None
    if isinstance(a, ipaddress.IPv6Address):
        a = ipaddress.IPv6Address(a.packed)
        return str(_embedded_v4(a) or a)
    return str(a)


def check_address(text: str, policy: AddressPolicy) -> tuple[bool, str]:
    """(allowed, class) for one address under the policy."""
    cls = classify(text)
    if cls == "invalid":
        return False, cls
    if policy.allow_addresses:
        n = _normal(text)
        if n is not None and any(_normal(x) == n for x in policy.allow_addresses):
            return True, cls
    return cls == "public" or (policy.allow_private and cls in PRIVATE_CLASSES), cls
