"""`helgeland keys` as an operator runs it, and `serve` refusing a short pseudonym key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helgeland_notifications.settings import NotifySettings
from helgeland_pipeline.settings import Settings

BIN = Path(sys.executable).parent


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("HELGELAND_")}


def keys() -> dict[str, str]:
    done = subprocess.run(
        [str(BIN / "helgeland"), "keys"],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stderr == ""
    pairs = [line.split("=", 1) for line in done.stdout.splitlines() if not line.startswith("#")]
    return dict(pairs)


def test_keys_prints_fresh_keys_in_env_format_that_both_services_take(tmp_path: Path) -> None:
    first, second = keys(), keys()
    assert set(first) == {
        "HELGELAND_PSEUDONYM_KEY",
        "HELGELAND_WEBHOOK_SEALING_KEY",
        "HELGELAND_ANSWER_LINK_KEY",
    }
    assert all(first[name] != second[name] for name in first)
    settings = Settings(
        data_dir=tmp_path,
        pseudonym_key=first["HELGELAND_PSEUDONYM_KEY"],
        webhook_sealing_key=first["HELGELAND_WEBHOOK_SEALING_KEY"],
        answer_link_key=first["HELGELAND_ANSWER_LINK_KEY"],
    )
    assert len(settings.pseudonym_key_bytes()) >= 32
    notify = NotifySettings(
        webhook_sealing_key=first["HELGELAND_WEBHOOK_SEALING_KEY"],
        answer_link_key=first["HELGELAND_ANSWER_LINK_KEY"],
    )
    assert notify.sealing_key() == settings.webhook_sealing_key_bytes()
    assert notify.link_key() == settings.answer_link_key_bytes()


def test_keys_is_listed_in_help() -> None:
    done = subprocess.run(
        [str(BIN / "helgeland"), "--help"], capture_output=True, text=True, timeout=60, check=True
    )
    assert "keys" in done.stdout


def test_serve_refuses_a_short_pseudonym_key_in_one_line(tmp_path: Path) -> None:
    env = clean_env() | {"HELGELAND_PSEUDONYM_KEY": "too-short", "HELGELAND_DATA_DIR": "data"}
    done = subprocess.run(
        [str(BIN / "helgeland"), "serve", "--port", "1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "serving at" not in done.stdout
    assert done.stderr.strip().splitlines() == [
        "helgeland: invalid setting HELGELAND_PSEUDONYM_KEY: must be at least 32 bytes, not 9 "
        "(make one with `helgeland keys`)"
    ]
    assert not (tmp_path / "data").exists()  # refused before anything was written
