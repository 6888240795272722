"""Sealing submissions to the study key, opening them, and hashing PINs.

Deviation from the contract (same API, stricter fidelity): the *plaintext* is
``exact_json(payload)`` -- sorted keys, compact, UTF-8, but **not** NFC-normalised --
instead of ``canonical_json``. NFC rewrites Devanagari letters with nukta (U+0958-095F,
e.g. a precomposed ज़ becomes ज + ़), so canonical plaintext would not give the
respondent's text back code point for code point. Nothing needs the plaintext to be
canonical (only the header bytes bound as ``info`` must be, and they still are).

Choices, and why:

* **HPKE (RFC 9180), base mode, single shot**, from pyca/cryptography's ``hpke``
  module: a vetted standard for "encrypt to a public key", with a fresh ephemeral
  key per message, so the station needs only the public key and can never open what
  it sealed (a seized laptop holds nothing that decrypts).
* **Suite DHKEM(X25519, HKDF-SHA256) + HKDF-SHA256 + ChaCha20-Poly1305.** X25519 is
  fast, constant-time and has no invalid-curve pitfalls; ChaCha20-Poly1305 is
  constant-time in software, which matters on cheap field laptops without AES-NI,
  and has a 256-bit key. One fixed suite (no negotiation) leaves nothing to downgrade.
* **The clear header is bound as HPKE ``info``** = ``b"fieldkit/v1\\x00" +
  canonical_json(header)``. ``info`` enters the key schedule, so changing any header
  field (outcome, station, form hash, key id...) changes the derived key and opening
  fails; the ``fieldkit/v1\\x00`` prefix separates this use of the key from any
  other (the journal uses ``fieldkit/journal/v1\\x00``). Canonical JSON makes the
  bytes independent of key order and Unicode normal form.
* **What HPKE base mode does not give: origin.** Anyone holding the public key
  (every station) can seal a well-formed submission. Who sent an item is
  established by the aggregator (station credential on sync, MAC on bundles, the
  header's station must match the credential), not by the envelope; the analyst's
  export therefore treats a decrypted payload as untrusted input. (HPKE Auth mode
  with per-station keys would add origin, at the price of station key management.)
* **Wire ciphertext** = HPKE ``enc`` (32 bytes) || AEAD ciphertext || tag, as the
  library returns it. ``ct_hash`` (SHA-256) is an integrity *label* for sync
  acknowledgements, not a security check -- the AEAD tag is.
* **PINs and passwords: Argon2id** (memory-hard, RFC 9106) in the self-describing PHC
  string format ``$argon2id$v=19$m=...,t=...,p=...$salt$hash``, falling back to
  **scrypt** (``$scrypt$ln=..,r=..,p=..$salt$hash``) where the OpenSSL build lacks
  Argon2. The stored string names its own parameters, so they can be raised later
  and old hashes still verify. Note: a 4-6 digit PIN cannot resist an offline search
  whatever the KDF; the PIN guards the station screen, the sealing guards the data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
from typing import Any, Mapping

from cryptography.exceptions import InvalidKey, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from fieldkit.canonical import canonical_json, sha256_hex
from fieldkit.envelope import SealedItem, validate_header
from fieldkit.errors import FieldkitError

SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
INFO_PREFIX = b"fieldkit/v1\x00"
ENC_LENGTH = 32      # X25519 encapsulated key
TAG_LENGTH = 16      # Poly1305

PrivateKeys = X25519PrivateKey | Mapping[str, X25519PrivateKey]


def exact_json(value: Any) -> bytes:
    """Deterministic JSON that keeps every string exactly (no Unicode normalisation)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def header_info(header: Mapping[str, Any]) -> bytes:
    """The HPKE ``info`` that binds a clear header to its ciphertext."""
    return INFO_PREFIX + canonical_json(dict(header))


def as_public_key(key: X25519PublicKey | bytes) -> X25519PublicKey:
    if isinstance(key, X25519PublicKey):
        return key
    return X25519PublicKey.from_public_bytes(bytes(key))


def seal(header: Mapping[str, Any], payload: Mapping[str, Any],
         public_key: X25519PublicKey | bytes, key_id: str) -> SealedItem:
    """Seal ``payload`` (``{"answers": ..., "paradata": ...}``) under ``header``.

    ``header["key_id"]`` is set to ``key_id`` (if the header already names a
    different key id that is a programming error: ``ValueError``), and
    ``header["payload"]`` defaults to ``"hpke"``. The header is validated first, so
    nothing malformed is ever sealed. The plaintext exists only in memory.
    """
    header = dict(header)
    if header.get("key_id", key_id) != key_id:
        raise ValueError("header key_id differs from the key used to seal")
    header["key_id"] = key_id
    header.setdefault("payload", "hpke")
    header = validate_header(header)
    plaintext = exact_json(dict(payload))
    ciphertext = SUITE.encrypt(plaintext, as_public_key(public_key), info=header_info(header))
    return SealedItem(header=header, ciphertext=ciphertext, ct_hash=sha256_hex(ciphertext))


def pick_private_key(item: SealedItem, private_key: PrivateKeys) -> X25519PrivateKey:
    """Choose the private key for ``item``: one key, or a ``{key_id: key}`` mapping."""
    if isinstance(private_key, X25519PrivateKey):
        return private_key
    key = private_key.get(item.key_id)
    if key is None:
        raise FieldkitError("crypto.unknown_key", uuid=item.uuid, key_id=item.key_id)
    return key


def open_hpke(item: SealedItem, private_key: X25519PrivateKey, info: bytes) -> bytes:
    """HPKE-open ``item.ciphertext`` with ``info``; ``crypto.open_failed`` on any failure."""
    try:
        return SUITE.decrypt(item.ciphertext, private_key, info=info)
    except (InvalidTag, ValueError):
        # InvalidTag: wrong key, changed ciphertext or changed header; ValueError:
        # truncated ciphertext. The message does not guess which: HPKE cannot tell.
        raise FieldkitError("crypto.open_failed", uuid=item.uuid, key_id=item.key_id,
                            reason="wrong key, or the submission was changed") from None


def open_sealed(item: SealedItem, private_key: PrivateKeys) -> dict[str, Any]:
    """Decrypt one submission; return ``{"answers": {...}, "paradata": {...}}``.

    Both payload kinds are handled: ``hpke`` (a finished interview) and ``journal``
    (a crash journal recovered as an interrupted submission; its events are replayed
    by :func:`fieldkit.journal.replay`). ``private_key`` is one X25519 private key or
    a mapping key id -> key (after key rotation). Every failure is a
    ``FieldkitError`` naming the submission: ``crypto.bad_header``/``bad_item`` (the
    item is malformed), ``crypto.unknown_key``, ``crypto.open_failed``.
    """
    item.check()
    key = pick_private_key(item, private_key)
    if item.header["payload"] == "journal":
        from fieldkit.journal import open_journal_item
        return open_journal_item(item, key)
    plaintext = open_hpke(item, key, header_info(item.header))
    try:
        payload = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise FieldkitError("crypto.open_failed", uuid=item.uuid, key_id=item.key_id,
                            reason="the decrypted payload is not JSON") from None
    if isinstance(payload, dict):
        payload.setdefault("answers", {})
        payload.setdefault("paradata", {})
    if not (isinstance(payload, dict) and isinstance(payload["answers"], dict)
            and isinstance(payload["paradata"], dict)):
        # Anyone holding the public key can seal; authentic is not the same as sane.
        raise FieldkitError("crypto.open_failed", uuid=item.uuid, key_id=item.key_id,
                            reason="the decrypted payload has no answers object")
    return payload


# --- secrets (PINs, passwords) ------------------------------------------------------

# Argon2id: RFC 9106's second recommended option scaled to a field laptop
# (64 MiB, 3 passes, 4 lanes: ~0.1 s), well above OWASP's minimum.
ARGON2_MEMORY_KIB = 65536
ARGON2_ITERATIONS = 3
ARGON2_LANES = 4
SCRYPT_LOG_N = 15
SCRYPT_R = 8
SCRYPT_P = 1


# With cryptography 50 / OpenSSL, two Argon2id computations with lanes > 1 running at
# the same time in one process deadlock (reproduced on this build): a station or an
# aggregator with two people signing in at once would hang a worker. Every KDF call in
# the process is therefore serialised here, where it is defined, for all callers.
_KDF_LOCK = threading.Lock()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _argon2_available() -> bool:
    try:
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
        Argon2id(salt=b"\x00" * 16, length=32, iterations=1, lanes=1, memory_cost=32)
        return True
    except (ImportError, UnsupportedAlgorithm):
        return False


def hash_secret(secret: str, *, _kdf: str | None = None) -> str:
    """Hash a PIN or password into a self-describing string (Argon2id, else scrypt)."""
    data = secret.encode("utf-8")
    kdf = _kdf or ("argon2id" if _argon2_available() else "scrypt")
    salt = os.urandom(16)
    if kdf == "argon2id":
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
        with _KDF_LOCK:
            return Argon2id(salt=salt, length=32, iterations=ARGON2_ITERATIONS,
                            lanes=ARGON2_LANES, memory_cost=ARGON2_MEMORY_KIB
                            ).derive_phc_encoded(data)
    digest = hashlib.scrypt(data, salt=salt, n=2 ** SCRYPT_LOG_N, r=SCRYPT_R, p=SCRYPT_P,
                            maxmem=2 ** 26, dklen=32)
    return f"$scrypt$ln={SCRYPT_LOG_N},r={SCRYPT_R},p={SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, stored: str) -> bool:
    """True if ``secret`` matches ``stored`` (from :func:`hash_secret`); never raises."""
    data = secret.encode("utf-8")
    try:
        if stored.startswith("$argon2id$"):
            from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
            with _KDF_LOCK:
                Argon2id.verify_phc_encoded(data, stored)
            return True
        if stored.startswith("$scrypt$"):
            _, _, params, salt_b64, digest_b64 = stored.split("$")
            p = dict(part.split("=") for part in params.split(","))
            log_n, r, par = int(p["ln"]), int(p["r"]), int(p["p"])
            if not (10 <= log_n <= 20 and 1 <= r <= 32 and 1 <= par <= 16):
                return False
            expected = _unb64(digest_b64)
            got = hashlib.scrypt(data, salt=_unb64(salt_b64), n=2 ** log_n, r=r, p=par,
                                 maxmem=2 ** 30, dklen=len(expected))
            return hmac.compare_digest(got, expected)
    except (InvalidKey, ValueError, KeyError, UnsupportedAlgorithm, ImportError):
        return False
    return False
