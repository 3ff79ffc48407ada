"""Every model of the domain, importable from one place."""

from connections.engines import Engine
from connections.models.activity import Activity, ActivityKind
from connections.models.base import (
    IDENTIFIER_BASE_LENGTH,
    IDENTIFIER_PATTERN,
    KEY_PATTERN,
    NETWORK_PATTERN,
    SLUG_PATTERN,
)
from connections.models.credentials import LIVE_STATES, Credential, CredentialState
from connections.models.links import (
    RESERVED_KEYS,
    Connection,
    LinkedField,
    Phase,
    Variable,
)
from connections.models.network import FirewallRule, RegionRange
from connections.models.resources import (
    Application,
    Database,
    DatabaseServer,
    ExposureState,
    Region,
    ResourceModel,
    ServerHealth,
)
from connections.models.teams import Invitation, Membership, Role, Team
from connections.models.tokens import DeployToken

__all__ = [
    "IDENTIFIER_BASE_LENGTH",
    "IDENTIFIER_PATTERN",
    "KEY_PATTERN",
    "LIVE_STATES",
    "NETWORK_PATTERN",
    "RESERVED_KEYS",
    "SLUG_PATTERN",
    "Activity",
    "ActivityKind",
    "Application",
    "Connection",
    "Credential",
    "CredentialState",
    "Database",
    "DatabaseServer",
    "DeployToken",
    "Engine",
    "ExposureState",
    "FirewallRule",
    "Invitation",
    "LinkedField",
    "Membership",
    "Phase",
    "Region",
    "RegionRange",
    "ResourceModel",
    "Role",
    "ServerHealth",
    "Team",
    "Variable",
]
