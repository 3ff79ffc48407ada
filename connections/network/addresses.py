"""Addresses and ranges as the firewall reads them: parsing what people type, validated and
normalised, and the little set arithmetic the verdicts need."""

import ipaddress
from collections.abc import Iterable

from connections.errors import Refused

type IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

EVERYONE = (ipaddress.IPv4Network("0.0.0.0/0"), ipaddress.IPv6Network("::/0"))
IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
MAX_INPUT_LENGTH = 100
NOT_A_NETWORK = (
    "Enter an IPv4 or IPv6 range in CIDR notation, e.g. 203.0.113.0/24 or 2001:db8::/48, "
    "or a single address."
)
NOT_AN_ADDRESS = "Enter one IPv4 or IPv6 address, e.g. 203.0.113.7 or 2001:db8::7."


class InvalidNetwork(Refused):
    """Text that is not an address or range the firewall can use; the message says why."""


def _check_text(text: str, empty_message: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidNetwork(empty_message)
    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidNetwork("That is too long for an IP address or range.")
    if "%" in text:
        raise InvalidNetwork(
            "Leave out the zone index (from % on): the firewall matches addresses, not interfaces."
        )
    return text


def parse_network(text: str) -> IPNetwork:
    """The range ``text`` names, normalised: a single address becomes a /32 or /128.

    Raises :class:`InvalidNetwork` with a sentence for the user; a range with host bits set
    (``10.1.2.3/8``) is refused with the network it probably meant (``10.0.0.0/8``).
    """
    text = _check_text(text, NOT_A_NETWORK)
    try:
        network = ipaddress.ip_network(text)
    except ValueError:
        try:
            meant = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise InvalidNetwork(NOT_A_NETWORK) from None
        address = text.split("/", 1)[0].strip()
        raise InvalidNetwork(
            f"{text} has bits set after its /{meant.prefixlen} prefix. Did you mean the range "
            f"{meant}? For that one address alone, enter {address}."
        ) from None
    if network.version == 6 and network.subnet_of(IPV4_MAPPED):
        ipv4 = ipaddress.IPv4Network(
            (int(network.network_address) & 0xFFFFFFFF, network.prefixlen - 96)
        )
        raise InvalidNetwork(f"{network} is an IPv4 range written as IPv6: enter {ipv4}.")
    return network


def parse_address(text: str) -> IPAddress:
    """The single address ``text`` names; an IPv4-mapped IPv6 address counts as its IPv4.

    Raises :class:`InvalidNetwork` with a sentence for the user.
    """
    text = _check_text(text, NOT_AN_ADDRESS)
    if "/" in text:
        raise InvalidNetwork("Enter one address, not a range: the check answers for one client.")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise InvalidNetwork(NOT_AN_ADDRESS) from None
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def collapse(networks: Iterable[IPNetwork]) -> list[IPNetwork]:
    """The fewest CIDR blocks covering ``networks``; a block inside their union is inside one."""
    networks = list(networks)
    v4 = [network for network in networks if isinstance(network, ipaddress.IPv4Network)]
    v6 = [network for network in networks if isinstance(network, ipaddress.IPv6Network)]
    return [*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6)]


def inside(network: IPNetwork, blocks: Iterable[IPNetwork]) -> bool:
    """Whether ``network`` lies wholly inside one of ``blocks``."""
    if isinstance(network, ipaddress.IPv4Network):
        return any(isinstance(b, ipaddress.IPv4Network) and network.subnet_of(b) for b in blocks)
    return any(isinstance(b, ipaddress.IPv6Network) and network.subnet_of(b) for b in blocks)


def everyone_warning(network: IPNetwork) -> str:
    """The sentence a rule for the whole Internet must be confirmed against."""
    family = "IPv4" if network.version == 4 else "IPv6"
    return (
        f"{network} means everyone: any {family} address on the Internet could try to connect, "
        "kept out only by the password. Confirm that you want to allow everyone."
    )
