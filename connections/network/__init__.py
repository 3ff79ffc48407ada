"""Network exposure: who may reach a database, why, and changing it.

- :mod:`.addresses`: parsing and validating the addresses and ranges people type;
- :mod:`.policy`: one policy per resource model (shared, dedicated) and the :class:`Firewall`
  that gives verdicts over source networks;
- :mod:`.changes`: Force TLS, Internet access, firewall rules and region ranges, each change
  locked, refused or made, kept in sync and recorded;

Every public name is importable from here.
"""

from connections.network.addresses import (
    EVERYONE,
    IPV4_MAPPED,
    MAX_INPUT_LENGTH,
    InvalidNetwork,
    IPAddress,
    IPNetwork,
    everyone_warning,
    parse_address,
    parse_network,
)
from connections.network.changes import (
    MAX_LABEL_LENGTH,
    add_cidr_rule,
    add_region_rule,
    clean_rule_label,
    remove_rule,
    resync_internet_access,
    set_force_tls,
    set_internet_access,
)
from connections.network.policy import (
    Decider,
    Defaults,
    ExposureRefused,
    Firewall,
    Verdict,
    check_force_tls,
    check_internet_access,
    connection_verdicts,
    defaults_for,
    describe_rule,
    is_dedicated,
    load_firewall,
    policy_for,
    reachability_for_address,
    reachability_for_application,
    reachable_from_internet,
)

__all__ = [
    "EVERYONE",
    "IPV4_MAPPED",
    "MAX_INPUT_LENGTH",
    "MAX_LABEL_LENGTH",
    "Decider",
    "Defaults",
    "ExposureRefused",
    "Firewall",
    "IPAddress",
    "IPNetwork",
    "InvalidNetwork",
    "Verdict",
    "add_cidr_rule",
    "add_region_rule",
    "check_force_tls",
    "check_internet_access",
    "clean_rule_label",
    "connection_verdicts",
    "defaults_for",
    "describe_rule",
    "everyone_warning",
    "is_dedicated",
    "load_firewall",
    "parse_address",
    "parse_network",
    "policy_for",
    "reachability_for_address",
    "reachability_for_application",
    "reachable_from_internet",
    "remove_rule",
    "resync_internet_access",
    "set_force_tls",
    "set_internet_access",
]
