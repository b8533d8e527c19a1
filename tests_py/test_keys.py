"""The customer_key secret (segmart.keys): made once per installation, kept
outside the repository, and the same keyed hash in Python and in the SQL."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import subprocess

import pytest
from click.testing import CliRunner

from segmart import keys
from segmart.cli import main
from segmart.contract import PROJECT_DIR
from segmart.dbt import dbt_executable
from segmart.errors import UserError


def test_the_first_use_makes_a_private_key_and_keeps_it(tmp_path, monkeypatch):
    monkeypatch.delenv(keys.SECRET_ENV, raising=False)
    monkeypatch.delenv(keys.PADS_ENV, raising=False)
    monkeypatch.setenv(keys.SECRET_FILE_ENV, str(tmp_path / "a" / "key"))
    first = keys.secret()
    assert len(first) == 32
    assert stat.S_IMODE((tmp_path / "a" / "key").stat().st_mode) == 0o600
    assert keys.secret() == first  # read back, not made again
    key_a = keys.customer_key("Ann@Example.com ")
    # HMAC-SHA-256 under the file's key, by Python's hmac module
    assert key_a == hmac.new(first, b"ann@example.com", hashlib.sha256).hexdigest()
    assert key_a != hashlib.md5(b"ann@example.com").hexdigest()
    # another installation, another key: the same email gets another key
    monkeypatch.setenv(keys.SECRET_FILE_ENV, str(tmp_path / "b" / "key"))
    assert keys.customer_key("ann@example.com") != key_a


def test_a_damaged_secret_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv(keys.PADS_ENV, raising=False)
    monkeypatch.setenv(keys.SECRET_ENV, "not hex")
    with pytest.raises(UserError, match="32-128 hex digits"):
        keys.secret()


def test_key_env_prints_what_a_plain_dbt_build_needs():
    result = CliRunner().invoke(main, ["key", "--env"])
    assert result.exit_code == 0, result.output
    name, value = result.output.strip().split("=")
    assert name == keys.PADS_ENV
    # the pads are the test key XOR 0x36 and XOR 0x5c, zero-padded to 64 bytes
    key = bytes.fromhex(os.environ[keys.SECRET_ENV]).ljust(64, b"\0")
    assert (
        value == bytes(b ^ 0x36 for b in key).hex() + bytes(b ^ 0x5C for b in key).hex()
    )


def test_plain_dbt_without_the_key_stops_with_a_message(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if k not in (keys.PADS_ENV, keys.SECRET_ENV)
    }
    env.update(
        DBT_PROFILES_DIR=str(PROJECT_DIR),
        SEGMART_DB_PATH=str(tmp_path / "x.duckdb"),
        SEGMART_RAW_DIR=str(tmp_path),
    )
    proc = subprocess.run(
        [dbt_executable(), "compile", "--select", "int_erased_customers"]
        + ["--target-path", str(tmp_path / "target"), "--no-partial-parse"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0
    assert "customer_key needs this installation's key" in proc.stdout
