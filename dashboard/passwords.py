"""Database passwords: the policy every password must meet, and a generator that meets it."""

import secrets
import string

SPECIALS = ",&*[]:'$`\""
LENGTH = 24


def generate_password(length: int = LENGTH) -> str:
    """A cryptographically random password with every character class the policy asks for."""
    alphabet = string.ascii_letters + string.digits + SPECIALS
    required = [
        secrets.choice(string.ascii_lowercase),
        secrets.choice(string.ascii_uppercase),
        secrets.choice(string.digits),
        secrets.choice(SPECIALS),
    ]
    rest = [secrets.choice(alphabet) for _ in range(length - len(required))]
    characters = required + rest
    secrets.SystemRandom().shuffle(characters)
    return "".join(characters)
