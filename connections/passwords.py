"""Database passwords: the policy every password must meet, and a generator that meets it.

Policy: at least 8 characters with a lowercase letter, an uppercase letter, a digit, and one of
the specials below.
"""

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


RULES = [
    (lambda p: len(p) >= 8, "at least 8 characters"),
    (lambda p: any(c.islower() for c in p), "a lowercase letter"),
    (lambda p: any(c.isupper() for c in p), "an uppercase letter"),
    (lambda p: any(c in string.digits for c in p), "a digit"),
    (lambda p: any(c in SPECIALS for c in p), "one of , & * [ ] : ' $ ` \""),
]


def policy_failures(password: str) -> list[str]:
    """The rules ``password`` breaks, in words; empty when it meets the policy."""
    return [rule for check, rule in RULES if not check(password)]
