"""Client hosts with their own source addresses, for tests that ask what a server does with a
connection from a given address: this host's loopback (127.0.0.1 and ::1), and a network
namespace joined to this host by a veth pair (root only).

The namespace side has no default route: nothing in it can reach anything but this host's end
of the pair, where the suite's servers listen. Each run takes its own namespace name (with the
process id) and its own /24 and /64 (``10.231.N.0/24``, ``fd31:0:0:N::/64``, the first N no
other run holds), so runs side by side never see each other's traffic.
"""

import fcntl
import ipaddress
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tests.probe_client import Attempt, Outcome, connect, outcomes, request

_PROBE = Path(__file__).with_name("probe_client.py")
_LOCK = Path("/run/lock/harbor-test-network.lock")
_NAME = re.compile(r"^harbor-(\d+)$")


@dataclass(frozen=True)
class Source:
    """Where a client connects from: ``address`` is what the server sees, ``server_host`` the
    server address it dials from there, ``namespace`` the network namespace it runs in (None:
    this process)."""

    address: str
    server_host: str
    namespace: str | None = None

    def connect(self, *attempts: Attempt) -> list[Outcome]:
        """Make every attempt from here, in order."""
        return connect_all((self, attempt) for attempt in attempts)


def connect_all(attempts: Iterable[tuple[Source, Attempt]]) -> list[Outcome]:
    """Make every attempt from its source; the outcomes in the same order. The attempts of a
    namespace run in one process, whose start-up (about a third of a second, seconds on a busy
    machine) is most of their cost, so a whole table of them is best made in one call."""
    attempts = list(attempts)
    results: dict[int, Outcome] = {}
    by_namespace: dict[str, list[int]] = {}
    for index, (source, attempt) in enumerate(attempts):
        if source.namespace is None:
            results[index] = connect(source.server_host, attempt)
        else:
            by_namespace.setdefault(source.namespace, []).append(index)
    for namespace, indexes in by_namespace.items():
        batch = request([(attempts[i][0].server_host, attempts[i][1]) for i in indexes])
        result = subprocess.run(
            ["ip", "netns", "exec", namespace, sys.executable, str(_PROBE), batch],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        results.update(zip(indexes, outcomes(result.stdout), strict=True))
    return [results[index] for index in range(len(attempts))]


LOOPBACK_V4 = Source("127.0.0.1", "127.0.0.1")
LOOPBACK_V6 = Source("::1", "::1")


@dataclass(frozen=True)
class TestNetwork:
    """A namespace and the veth pair that joins it to this host."""

    __test__ = False  # not a test class, whatever its name says to pytest

    namespace: str
    host_link: str
    number: int

    @property
    def network_v4(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(f"10.231.{self.number}.0/24")

    @property
    def network_v6(self) -> ipaddress.IPv6Network:
        return ipaddress.IPv6Network(f"fd31:0:0:{self.number:x}::/64")

    @property
    def host_addresses(self) -> list[str]:
        """This host's end of the pair, where the servers listen."""
        return [str(self.network_v4[1]), str(self.network_v6[1])]

    @property
    def ipv4(self) -> Source:
        return Source(str(self.network_v4[2]), str(self.network_v4[1]), self.namespace)

    @property
    def ipv6(self) -> Source:
        return Source(str(self.network_v6[2]), str(self.network_v6[1]), self.namespace)


def _ip(*arguments: str, namespace: str | None = None) -> str:
    prefix = ["ip", "netns", "exec", namespace, "ip"] if namespace else ["ip"]
    return subprocess.run([*prefix, *arguments], capture_output=True, text=True, check=True).stdout


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def _remove_leftovers() -> None:
    """Remove what runs that were killed outright (no finalizer ran) left behind."""
    for line in _ip("netns", "list").splitlines():
        found = _NAME.match(line.split(" ")[0])
        if found and not _alive(int(found[1])):
            remove_network(TestNetwork(found[0], f"hbr{found[1]}h", 0))


def _taken_numbers() -> set[int]:
    taken = set()
    for link in json.loads(_ip("-j", "-4", "addr", "show")):
        for address in link.get("addr_info", []):
            if ipaddress.ip_address(address["local"]) in ipaddress.ip_network("10.231.0.0/16"):
                taken.add(int(address["local"].split(".")[2]))
    return taken


def create_network() -> TestNetwork:
    """A new namespace and veth pair, both ends up and their addresses usable. Root only."""
    _LOCK.parent.mkdir(parents=True, exist_ok=True)
    with _LOCK.open("w") as lock:
        # Held while a number is chosen and taken, so runs starting together pick different ones.
        fcntl.flock(lock, fcntl.LOCK_EX)
        _remove_leftovers()
        number = min(set(range(256)) - _taken_numbers())
        network = TestNetwork(f"harbor-{os.getpid()}", f"hbr{os.getpid()}h", number)
        guest_link = f"hbr{os.getpid()}n"
        try:
            _ip("netns", "add", network.namespace)
            _ip("link", "add", network.host_link, "type", "veth", "peer", "name", guest_link)
            _ip("link", "set", guest_link, "netns", network.namespace)
            for source, link, namespace in (
                (network.ipv4.server_host, network.host_link, None),
                (network.ipv4.address, guest_link, network.namespace),
            ):
                _ip("addr", "add", f"{source}/24", "dev", link, namespace=namespace)
            for source, link, namespace in (
                (network.ipv6.server_host, network.host_link, None),
                (network.ipv6.address, guest_link, network.namespace),
            ):
                # nodad: no Duplicate Address Detection, which would keep the address
                # "tentative" (unusable) for a second or two.
                _ip("-6", "addr", "add", f"{source}/64", "dev", link, "nodad", namespace=namespace)
            _ip("link", "set", network.host_link, "up")
            _ip("link", "set", "lo", "up", namespace=network.namespace)
            _ip("link", "set", guest_link, "up", namespace=network.namespace)
            _wait_until_up(network, guest_link)
        except BaseException:
            remove_network(network)
            raise
    return network


def _wait_until_up(network: TestNetwork, guest_link: str) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        host = _ip("-br", "link", "show", network.host_link)
        guest = _ip("-br", "link", "show", guest_link, namespace=network.namespace)
        if " UP " in host and " UP " in guest:
            return
        time.sleep(0.01)
    raise RuntimeError(f"the veth pair {network.host_link} did not come up")


def remove_network(network: TestNetwork) -> None:
    """Remove the namespace; its end of the pair goes with it, and the other end with that."""
    subprocess.run(["ip", "netns", "del", network.namespace], capture_output=True, check=False)
    subprocess.run(["ip", "link", "del", network.host_link], capture_output=True, check=False)
