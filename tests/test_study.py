"""Study keys: creation, the key file format, rotation, and the CLI."""

from __future__ import annotations

import json
import os
import stat
import subprocess

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

from fieldkit.cli import main
from fieldkit.crypto import open_sealed, seal
from fieldkit.envelope import new_header
from fieldkit.errors import FieldkitError
from fieldkit.study import (StudyConfig, init_study, key_id_for, load_private_key,
                            load_private_keys, rotate_key)

PASS = "tulsi baug chai at seven"


def test_init_writes_config_without_private_key_and_a_protected_key_file(tmp_path):
    study_dir, key_path = tmp_path / "study", tmp_path / "analyst" / "study.key"
    config = init_study(study_dir, key_path, PASS, study_id="csec_mh")
    data = json.loads((study_dir / "study.json").read_text())
    assert data["study_id"] == "csec_mh"
    assert list(data["public_keys"]) == [config.current_key_id]
    assert "private" not in json.dumps(data).lower()
    assert os.listdir(study_dir) == ["study.json"]
    pem = key_path.read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    key = load_private_key(key_path, PASS)
    assert key_id_for(key.public_key()) == config.current_key_id
    assert len(config.current_key_id) == 16
    # The private key is not in study.json in any form.
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    import base64
    text = (study_dir / "study.json").read_text()
    assert base64.b64encode(raw).decode() not in text and raw.hex() not in text


def test_key_file_is_standard_pkcs8_that_openssl_reads(tmp_path):
    key_path = tmp_path / "k.pem"
    config = init_study(tmp_path / "s", key_path, PASS)
    out = subprocess.run(["openssl", "pkey", "-in", str(key_path), "-passin", f"pass:{PASS}",
                          "-pubout", "-outform", "DER"], capture_output=True, check=True)
    assert out.stdout[-32:] == config.public_key.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_config_round_trip_and_key_id_check(tmp_path):
    config = init_study(tmp_path / "s", tmp_path / "k.pem", PASS)
    again = StudyConfig.load(tmp_path / "s")
    assert again.to_dict() == config.to_dict()
    assert StudyConfig.from_dict(config.to_dict()).fingerprint_secret == config.fingerprint_secret
    data = config.to_dict()
    other = init_study(tmp_path / "t", tmp_path / "k2.pem", PASS)
    # Swap in another study's key under the old id: refused.
    data["public_keys"][config.current_key_id] = other.to_dict()["public_keys"][
        other.current_key_id]
    with pytest.raises(FieldkitError) as info:
        StudyConfig.from_dict(data)
    assert info.value.code == "crypto.study_invalid"


def test_wrong_passphrase_and_bad_files(tmp_path):
    init_study(tmp_path / "s", tmp_path / "k.pem", PASS)
    with pytest.raises(FieldkitError) as info:
        load_private_key(tmp_path / "k.pem", "not the passphrase")
    assert info.value.code == "crypto.wrong_passphrase"
    assert "not the passphrase" not in info.value.message()
    (tmp_path / "junk.pem").write_text("hello")
    for path in (tmp_path / "junk.pem", tmp_path / "missing.pem"):
        with pytest.raises(FieldkitError) as info:
            load_private_key(path, PASS)
        assert info.value.code == "crypto.key_file"


def test_refusals(tmp_path):
    with pytest.raises(FieldkitError) as info:
        init_study(tmp_path / "s", tmp_path / "s" / "k.pem", PASS)
    assert info.value.code == "crypto.key_in_study_dir"
    with pytest.raises(FieldkitError) as info:
        init_study(tmp_path / "s", tmp_path / "k.pem", "short")
    assert info.value.code == "crypto.weak_passphrase"
    init_study(tmp_path / "s", tmp_path / "k.pem", PASS)
    with pytest.raises(FieldkitError) as info:
        init_study(tmp_path / "s", tmp_path / "k2.pem", PASS)
    assert info.value.code == "crypto.study_exists"
    with pytest.raises(FieldkitError) as info:
        rotate_key(tmp_path / "s", tmp_path / "k.pem", PASS)
    assert info.value.code == "crypto.key_exists"


def test_rotation_keeps_old_submissions_openable(tmp_path):
    s = tmp_path / "s"
    first = init_study(s, tmp_path / "k1.pem", PASS)
    h = dict(form_id="police", form_hash="c" * 64, station="st01", enumerator="e07",
             outcome="completed")
    old = seal(new_header(**h), {"answers": {"a": "1"}}, first.public_key, first.key_id)
    second = rotate_key(s, tmp_path / "k2.pem", PASS)
    assert second.current_key_id != first.current_key_id
    assert set(StudyConfig.load(s).public_keys) == {first.key_id, second.key_id}
    new = seal(new_header(**h), {"answers": {"a": "2"}}, second.public_key, second.key_id)
    keys = load_private_keys([tmp_path / "k1.pem", tmp_path / "k2.pem"], PASS)
    assert open_sealed(old, keys)["answers"] == {"a": "1"}
    assert open_sealed(new, keys)["answers"] == {"a": "2"}
    with pytest.raises(FieldkitError) as info:
        open_sealed(old, load_private_keys([tmp_path / "k2.pem"], PASS))
    assert info.value.code == "crypto.unknown_key"


def test_cli_init_rotate_show(tmp_path):
    runner = CliRunner()
    s, k = tmp_path / "study", tmp_path / "k.pem"
    result = runner.invoke(main, ["study", "init", str(s), "--key", str(k), "--id", "csec"],
                           input=f"{PASS}\n{PASS}\n")
    assert result.exit_code == 0, result.output
    assert k.exists() and (s / "study.json").exists()
    result = runner.invoke(main, ["study", "rotate-key", str(s), "--key",
                                  str(tmp_path / "k2.pem")], env={"FIELDKIT_PASSPHRASE": PASS})
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["study", "show", str(s)])
    assert result.exit_code == 0
    assert StudyConfig.load(s).current_key_id in result.output
    result = runner.invoke(main, ["study", "init", str(tmp_path / "x"), "--key",
                                  str(tmp_path / "x" / "k.pem")],
                           env={"FIELDKIT_PASSPHRASE": PASS})
    assert result.exit_code != 0
    assert "Traceback" not in result.output and "study directory" in result.output


def test_key_file_uses_a_strong_kdf(tmp_path):
    key_path = tmp_path / "k.pem"
    init_study(tmp_path / "s", key_path, PASS)
    out = subprocess.run(["openssl", "asn1parse", "-in", str(key_path)], capture_output=True,
                         text=True, check=True).stdout
    assert "PBES2" in out and "PBKDF2" in out and "hmacWithSHA256" in out
    assert "aes-256-cbc" in out
    iterations = [line for line in out.splitlines() if "INTEGER" in line][0]
    assert int(iterations.rsplit(":", 1)[1], 16) >= 600_000
