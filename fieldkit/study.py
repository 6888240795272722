"""A study's keys and the configuration stations receive.

``init_study(dir, private_key_path, passphrase)`` makes:

* an **X25519 key pair**. The private key is written *only* to the path the analyst
  chooses (never inside the study directory, which is copied to servers and
  stations), as **PKCS#8 PEM encrypted under the passphrase** (PBES2:
  PBKDF2-HMAC-SHA256 x 600,000 + AES-256-CBC, see :func:`encrypt_pkcs8` for why not
  the library default of 2048 iterations) -- a standard format that
  ``openssl pkey`` and every TLS library can read, so the data never depends on
  fieldkit to be decrypted. The file is created with mode 0600 and never overwritten.
* a **key id** = first 16 hex digits of SHA-256 of the raw 32-byte public key: short
  enough to show, long enough that two keys of one study never collide (64 bits),
  and checkable (``StudyConfig.from_dict`` recomputes every id, so a study.json
  whose key was swapped but whose id was kept is refused).
* ``study.json``: study id, current key id, **all** public keys (key rotation: new
  submissions use the current key; old ones name theirs in the header), and the two
  random 32-byte secrets for the keyed duplicate fingerprint and similarity sketch
  (:mod:`fieldkit.dedup`). It holds no private key and nothing that decrypts.

``rotate_key`` adds a new key pair (a new private key file) and makes it current.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from fieldkit.canonical import sha256_hex
from fieldkit.errors import FieldkitError

STUDY_FILE = "study.json"
STUDY_FORMAT = 1
MIN_PASSPHRASE = 12
_STUDY_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def key_id_for(public_key: X25519PublicKey) -> str:
    """First 16 hex digits of SHA-256 of the raw public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sha256_hex(raw)[:16]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any, what: str, path: str) -> bytes:
    try:
        return base64.b64decode(str(text), validate=True)
    except (binascii.Error, ValueError):
        raise FieldkitError("crypto.study_invalid", path=path,
                            reason=f"{what} is not base64") from None


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class StudyConfig:
    study_id: str
    current_key_id: str
    public_keys: dict[str, X25519PublicKey]
    fingerprint_secret: bytes
    sketch_secret: bytes
    created_at: str = field(default_factory=utc_now)

    @property
    def public_key(self) -> X25519PublicKey:
        """The current public key (the one new submissions are sealed to)."""
        return self.public_keys[self.current_key_id]

    @property
    def key_id(self) -> str:
        return self.current_key_id

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": STUDY_FORMAT,
            "study_id": self.study_id,
            "created_at": self.created_at,
            "current_key_id": self.current_key_id,
            "public_keys": {
                kid: _b64(key.public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw))
                for kid, key in self.public_keys.items()},
            "fingerprint_secret": _b64(self.fingerprint_secret),
            "sketch_secret": _b64(self.sketch_secret),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "study.json") -> "StudyConfig":
        def bad(reason: str) -> FieldkitError:
            return FieldkitError("crypto.study_invalid", path=source, reason=reason)

        if not isinstance(data, Mapping):
            raise bad("not an object")
        if data.get("format", STUDY_FORMAT) != STUDY_FORMAT:
            raise bad(f"unknown format {data.get('format')!r}")
        study_id = data.get("study_id")
        if not isinstance(study_id, str) or not _STUDY_ID.match(study_id):
            raise bad("study_id must be a lower-case identifier")
        raw_keys = data.get("public_keys")
        if not isinstance(raw_keys, Mapping) or not raw_keys:
            raise bad("public_keys is missing")
        keys: dict[str, X25519PublicKey] = {}
        for kid, text in raw_keys.items():
            raw = _unb64(text, f"public key {kid}", source)
            if len(raw) != 32:
                raise bad(f"public key {kid} is not 32 bytes")
            key = X25519PublicKey.from_public_bytes(raw)
            if key_id_for(key) != kid:
                raise bad(f"key id {kid} does not match its public key")
            keys[kid] = key
        current = data.get("current_key_id")
        if current not in keys:
            raise bad("current_key_id is not one of public_keys")
        fp = _unb64(data.get("fingerprint_secret"), "fingerprint_secret", source)
        sk = _unb64(data.get("sketch_secret"), "sketch_secret", source)
        if len(fp) < 32 or len(sk) < 32:
            raise bad("the deduplication secrets must be at least 32 bytes")
        return cls(study_id=study_id, current_key_id=str(current), public_keys=keys,
                   fingerprint_secret=fp, sketch_secret=sk,
                   created_at=str(data.get("created_at", "")))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "StudyConfig":
        """Load from ``study.json`` or from the directory that holds it."""
        path = Path(path)
        if path.is_dir():
            path = path / STUDY_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FieldkitError("crypto.study_invalid", path=str(path),
                                reason="file not found") from None
        except ValueError:
            raise FieldkitError("crypto.study_invalid", path=str(path),
                                reason="not JSON") from None
        return cls.from_dict(data, source=str(path))

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write atomically (temp file + fsync + rename) to ``path`` or ``path/study.json``."""
        path = Path(path)
        if path.is_dir() or not path.suffix:
            path.mkdir(parents=True, exist_ok=True)
            path = path / STUDY_FILE
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        return path


# --- private key files ---------------------------------------------------------------

def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise FieldkitError("crypto.weak_passphrase", min=MIN_PASSPHRASE)


# PKCS#8 EncryptedPrivateKeyInfo, PBES2 (RFC 8018): PBKDF2-HMAC-SHA256 + AES-256-CBC.
PBKDF2_ITERATIONS = 600_000       # OWASP 2023 for PBKDF2-HMAC-SHA256
_OID_PBES2 = "1.2.840.113549.1.5.13"
_OID_PBKDF2 = "1.2.840.113549.1.5.12"
_OID_HMAC_SHA256 = "1.2.840.113549.2.9"
_OID_AES256_CBC = "2.16.840.1.101.3.4.1.42"


def _der(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + body


def _seq(*parts: bytes) -> bytes:
    return _der(0x30, b"".join(parts))


def _int(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _oid(dotted: str) -> bytes:
    first, second, *rest = (int(x) for x in dotted.split("."))
    body = bytearray([40 * first + second])
    for arc in rest:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return _der(0x06, bytes(body))


def encrypt_pkcs8(private_key: X25519PrivateKey, passphrase: str,
                  iterations: int = PBKDF2_ITERATIONS) -> bytes:
    """Passphrase-encrypted PKCS#8 PEM with a strong, explicit KDF.

    Why not ``BestAvailableEncryption`` as such: in cryptography 50 it writes PBES2
    with PBKDF2 at only 2048 iterations, which a GPU guesses through quickly. This
    writes the *same standard structure* (RFC 5958 EncryptedPrivateKeyInfo, PBES2,
    RFC 8018) with PBKDF2-HMAC-SHA256 at 600,000 iterations and AES-256-CBC, so
    ``openssl pkey``, cryptography's ``load_pem_private_key`` and any PKCS#8 reader
    still open it with the passphrase alone. (scrypt-PBES2 would be memory-hard, but
    the OpenSSL command line refuses scrypt above 32 MiB, and the key file must not
    depend on fieldkit to be opened.)
    """
    from cryptography.hazmat.primitives import hashes, padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

    inner = private_key.private_bytes(serialization.Encoding.DER,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
    salt, iv = secrets.token_bytes(16), secrets.token_bytes(16)
    key = PBKDF2HMAC(hashes.SHA256(), 32, salt, iterations).derive(passphrase.encode("utf-8"))
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padder.update(inner) + padder.finalize()) + \
        encryptor.finalize()
    algorithm = _seq(
        _oid(_OID_PBES2),
        _seq(_seq(_oid(_OID_PBKDF2), _seq(_der(0x04, salt), _int(iterations), _int(32),
                                           _seq(_oid(_OID_HMAC_SHA256), b"\x05\x00"))),
             _seq(_oid(_OID_AES256_CBC), _der(0x04, iv))))
    der = _seq(algorithm, _der(0x04, ciphertext))
    b64 = base64.b64encode(der).decode("ascii")
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return ("-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + "\n".join(lines) +
            "\n-----END ENCRYPTED PRIVATE KEY-----\n").encode("ascii")


def write_private_key(path: str | os.PathLike[str], private_key: X25519PrivateKey,
                      passphrase: str) -> Path:
    """Write ``private_key`` as passphrase-encrypted PKCS#8 PEM to a new file (0600).

    Format: ``-----BEGIN ENCRYPTED PRIVATE KEY-----`` (RFC 5958 / PKCS#8
    EncryptedPrivateKeyInfo, PBES2 with PBKDF2-HMAC-SHA256 x 600,000 and
    AES-256-CBC; see :func:`encrypt_pkcs8`). Never overwrites a file.
    """
    path = Path(path)
    check_passphrase(passphrase)
    pem = encrypt_pkcs8(private_key, passphrase)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise FieldkitError("crypto.key_exists", path=str(path)) from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    return path


def load_private_key(path: str | os.PathLike[str], passphrase: str) -> X25519PrivateKey:
    """Read a key file written by :func:`write_private_key`.

    Raises ``crypto.wrong_passphrase`` or ``crypto.key_file`` (missing, not PEM, not
    an X25519 key) -- messages name the file, never echo the passphrase.
    """
    path = Path(path)
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise FieldkitError("crypto.key_file", path=str(path), reason=exc.strerror or "unreadable"
                            ) from None
    if b"ENCRYPTED PRIVATE KEY" not in pem:
        raise FieldkitError("crypto.key_file", path=str(path),
                            reason="not a passphrase-protected PKCS#8 PEM file")
    try:
        key = serialization.load_pem_private_key(pem, passphrase.encode("utf-8"))
    except ValueError as exc:
        if "password" in str(exc).lower() or "decrypt" in str(exc).lower():
            raise FieldkitError("crypto.wrong_passphrase", path=str(path)) from None
        raise FieldkitError("crypto.key_file", path=str(path), reason="damaged key file"
                            ) from None
    except (TypeError, UnsupportedAlgorithm) as exc:
        raise FieldkitError("crypto.key_file", path=str(path),
                            reason=type(exc).__name__) from None
    if not isinstance(key, X25519PrivateKey):
        raise FieldkitError("crypto.key_file", path=str(path), reason="not an X25519 key")
    return key


def load_private_keys(paths: list[str | os.PathLike[str]], passphrase: str
                      ) -> dict[str, X25519PrivateKey]:
    """Load several key files (after rotation) into ``{key_id: private_key}``."""
    keys: dict[str, X25519PrivateKey] = {}
    for path in paths:
        key = load_private_key(path, passphrase)
        keys[key_id_for(key.public_key())] = key
    return keys


def _refuse_inside(study_dir: Path, key_path: Path) -> None:
    study = study_dir.resolve()
    key = key_path.resolve()
    if key == study or study in key.parents:
        raise FieldkitError("crypto.key_in_study_dir", path=str(study_dir))


def _new_key(private_key_path: Path, study_dir: Path, passphrase: str
             ) -> tuple[str, X25519PublicKey]:
    _refuse_inside(study_dir, private_key_path)
    check_passphrase(passphrase)
    private_key = X25519PrivateKey.generate()
    write_private_key(private_key_path, private_key, passphrase)
    public_key = private_key.public_key()
    return key_id_for(public_key), public_key


def init_study(study_dir: str | os.PathLike[str], private_key_path: str | os.PathLike[str],
               passphrase: str, study_id: str | None = None) -> StudyConfig:
    """Create a study in ``study_dir`` (``study.json``) and its first private key file."""
    study_dir, private_key_path = Path(study_dir), Path(private_key_path)
    if (study_dir / STUDY_FILE).exists():
        raise FieldkitError("crypto.study_exists", path=str(study_dir))
    if study_id is None:
        study_id = re.sub(r"[^a-z0-9_]+", "_", study_dir.resolve().name.lower()).strip("_")
        if not _STUDY_ID.match(study_id or ""):
            study_id = "study"
    if not _STUDY_ID.match(study_id):
        raise FieldkitError("crypto.study_invalid", path=str(study_dir),
                            reason="study id must be a lower-case identifier")
    kid, public_key = _new_key(private_key_path, study_dir, passphrase)
    config = StudyConfig(study_id=study_id, current_key_id=kid, public_keys={kid: public_key},
                         fingerprint_secret=secrets.token_bytes(32),
                         sketch_secret=secrets.token_bytes(32))
    config.save(study_dir)
    return config


def rotate_key(study_dir: str | os.PathLike[str], private_key_path: str | os.PathLike[str],
               passphrase: str) -> StudyConfig:
    """Add a new key pair to the study and make it current; old keys stay listed."""
    study_dir, private_key_path = Path(study_dir), Path(private_key_path)
    config = StudyConfig.load(study_dir)
    kid, public_key = _new_key(private_key_path, study_dir, passphrase)
    config.public_keys[kid] = public_key
    config.current_key_id = kid
    config.save(study_dir)
    return config
