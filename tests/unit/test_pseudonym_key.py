"""The pseudonym key (HMAC-SHA-256) must be at least 32 bytes: a shorter one is refused when
the settings are read, before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from helgeland_pipeline.keys import env_text, fresh_keys
from helgeland_pipeline.settings import Settings
from pydantic import ValidationError


@pytest.mark.parametrize("key", ["", "short", "x" * 31, "æ" * 15])  # "æ" is 2 bytes: 30
def test_a_pseudonym_key_shorter_than_32_bytes_is_refused(key: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"must be at least 32 bytes, not \d+"):
        Settings(data_dir=tmp_path, pseudonym_key=key)


@pytest.mark.parametrize("key", ["x" * 32, "æ" * 16, fresh_keys()["HELGELAND_PSEUDONYM_KEY"]])
def test_a_pseudonym_key_of_32_bytes_or_more_is_taken_as_it_is(key: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, pseudonym_key=key)
    assert settings.pseudonym_key_bytes() == key.encode()


def test_fresh_keys_are_new_each_time_and_valid_settings(tmp_path: Path) -> None:
    first, second = fresh_keys(), fresh_keys()
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
    )
    assert settings.webhook_sealing_key_bytes().hex() == first["HELGELAND_WEBHOOK_SEALING_KEY"]
    lines = [line for line in env_text(first).splitlines() if not line.startswith("#")]
    assert lines == [f"{name}={value}" for name, value in first.items()]
