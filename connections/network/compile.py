"""What a database's exposure means on its server: the policy's allowed networks compiled, as
they stand, to pg_hba.conf lines and to MariaDB (or MySQL) account hosts."""

from dataclasses import dataclass

from connections.network.addresses import IPNetwork
from connections.network.policy import Firewall


def pg_hba_lines(firewall: Firewall) -> list[str]:
    """The database's pg_hba.conf entries, in order (the first matching line wins)."""
    database = firewall.database
    who = f"{database.database_name} {database.username}"
    lines = [f"hostnossl {who} all reject"] if database.force_tls else []
    connection_type = "hostssl" if database.force_tls else "host"
    lines += [
        f"{connection_type} {who} {network} scram-sha-256"
        for network in firewall.allowed_networks()
    ]
    lines.append(f"host {who} all reject")
    return lines


@dataclass(frozen=True)
class MariaDBAccess:
    """The accounts a MariaDB (or MySQL) user needs: one per host pattern, each with
    ``REQUIRE SSL`` when Force TLS is on. Account hosts take an IPv4 netmask or an exact IPv6
    address, not an IPv6 range; ``unsupported`` lists those, for a host firewall to enforce."""

    hosts: list[str]
    require_ssl: bool
    unsupported: list[IPNetwork]


def mariadb_access(firewall: Firewall) -> MariaDBAccess:
    """The MariaDB account hosts that enforce the database's allowed networks."""
    hosts: list[str] = []
    unsupported: list[IPNetwork] = []
    for network in firewall.allowed_networks():
        if network.version == 4:
            address = network.network_address
            hosts.append(
                str(address) if network.prefixlen == 32 else f"{address}/{network.netmask}"
            )
        elif network.prefixlen == 128:
            hosts.append(str(network.network_address))
        else:
            unsupported.append(network)
    return MariaDBAccess(hosts, firewall.database.force_tls, unsupported)
