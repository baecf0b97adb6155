"""Encryption of personal data at rest, with a blind index for exact lookup (ARCHITECTURE §7).

Values are sealed with AES-256-GCM under a key derived from ``GRIDGOV_FIELD_KEY``; each value has its own random
nonce, so equal values give different ciphertexts. Exact search goes through ``blind_index``: an HMAC-SHA256 of the
normalised value under ``GRIDGOV_INDEX_KEY``, separated by purpose so that a phone's index never equals an ID's.
"""

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Callable
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

VERSION = "v1"
NONCE_BYTES = 12


class DecryptionError(Exception):
    pass


@lru_cache(maxsize=4)
def _aead(secret: str) -> AESGCM:
    return AESGCM(hashlib.sha256(b"gridgov-field-v1\x00" + secret.encode()).digest())


@lru_cache(maxsize=4)
def _index_key(secret: str) -> bytes:
    return hashlib.sha256(b"gridgov-index-v1\x00" + secret.encode()).digest()


def seal(plain: str) -> str:
    """Encrypts a text value; "" stays "" so that empty fields need no ciphertext."""
    if not plain:
        return ""
    nonce = os.urandom(NONCE_BYTES)
    sealed = _aead(settings.GRIDGOV_FIELD_KEY).encrypt(nonce, plain.encode(), VERSION.encode())
    return VERSION + ":" + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(token: str) -> str:
    if not token:
        return ""
    version, _, body = token.partition(":")
    if version != VERSION:
        raise DecryptionError(f"unknown ciphertext version {version!r}")
    raw = base64.urlsafe_b64decode(body.encode())
    try:
        plain = _aead(settings.GRIDGOV_FIELD_KEY).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], VERSION.encode()
        )
    except InvalidTag as exc:
        raise DecryptionError("ciphertext does not match the field key") from exc
    return plain.decode()


def blind_index(purpose: str, normalized: str) -> str:
    """32 hex characters (128 bits) identifying ``normalized`` for ``purpose`` ("ric", "phone" …)."""
    if not normalized:
        return ""
    return hmac.digest(
        _index_key(settings.GRIDGOV_INDEX_KEY), f"{purpose}\x00{normalized}".encode(), "sha256"
    )[:16].hex()


def sealer() -> Callable[[str], str]:
    """``seal`` bound to the field key as it is now, for sealing many values in a row (a registry import): the
    same tokens, without reading the settings and looking the cipher up for every value."""
    encrypt = _aead(settings.GRIDGOV_FIELD_KEY).encrypt
    associated = VERSION.encode()
    prefix = VERSION + ":"
    urandom, b2a, urlsafe = os.urandom, binascii.b2a_base64, bytes.maketrans(b"+/", b"-_")

    def seal_value(plain: str) -> str:
        if not plain:
            return ""
        nonce = urandom(NONCE_BYTES)  # a fresh nonce for every value, as ``seal``
        sealed = nonce + encrypt(nonce, plain.encode(), associated)
        return prefix + b2a(sealed, newline=False).translate(urlsafe).decode()

    return seal_value


def indexer(purpose: str) -> Callable[[str], str]:
    """``blind_index`` for ``purpose`` bound to the index key as it is now (same values, for many in a row)."""
    key = _index_key(settings.GRIDGOV_INDEX_KEY)
    prefix = f"{purpose}\x00"
    digest = hmac.digest

    def index_value(normalized: str) -> str:
        if not normalized:
            return ""
        return digest(key, (prefix + normalized).encode(), "sha256")[:16].hex()

    return index_value
