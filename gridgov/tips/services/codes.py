"""Tracking codes and claim secrets: short, unguessable, easy to read out over the phone."""

import hmac
import secrets

from gridgov.core.crypto import blind_index

#: No 0/O, 1/I/L, 5/S, 2/Z, 8/B, U/V: nothing that sounds or looks like another character.
ALPHABET = "3467ACDEFGHJKMNPQRTWXY"
CODE_LENGTH = 10  # 22**10 ≈ 2.7e13 (44 bits)
SECRET_LENGTH = 8  # 22**8 ≈ 5.5e10, and claims are limited per code


def new_tracking_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def new_secret() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(SECRET_LENGTH))


def normalize_code(raw: str) -> str:
    """Accepts what a person types: lower case, spaces and dashes, and the look-alikes of the alphabet."""
    text = "".join(ch for ch in str(raw or "").upper() if ch.isalnum())
    return text.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def hash_secret(secret: str) -> str:
    return blind_index("tip_secret", normalize_code(secret))


def secret_matches(stored: str, offered: str) -> bool:
    if not stored or not offered:
        return False
    return hmac.compare_digest(stored, hash_secret(offered))
