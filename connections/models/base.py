"""Patterns every model's constraints share."""

# \Z, not $: Python's `$` (behind SQLite's REGEXP) also matches before a final newline.
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*\Z"
IDENTIFIER_PATTERN = r"^[a-z_][a-z0-9_]*\Z"
IDENTIFIER_BASE_LENGTH = 20
KEY_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*\Z"
# A normalised CIDR as ipaddress writes it (lower-case hex): what pg_hba.conf takes as is.
NETWORK_PATTERN = r"^[0-9a-f:.]+/[0-9]{1,3}\Z"
