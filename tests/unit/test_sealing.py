"""Webhook secrets are sealed before they enter the log; only the right key opens them."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from helgeland_contracts.sealing import (
    DEMO_KEY_FILE,
    PREFIX,
    SealingError,
    demo_key,
    parse_key,
    seal,
    unseal,
)

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_a_sealed_secret_opens_with_its_key_and_does_not_show_it() -> None:
    sealed = seal(SECRET, KEY)
    assert sealed.startswith(PREFIX)
    assert SECRET not in sealed
    assert SECRET.removeprefix("whsec_") not in sealed
    assert unseal(sealed, KEY) == SECRET


def test_sealing_twice_gives_two_different_values() -> None:
    assert seal(SECRET, KEY) != seal(SECRET, KEY)


def test_another_key_does_not_open_it() -> None:
    with pytest.raises(SealingError, match="another key"):
        unseal(seal(SECRET, KEY), OTHER)


def test_a_damaged_value_does_not_open() -> None:
    sealed = seal(SECRET, KEY)
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(SealingError):
        unseal(flipped, KEY)
    with pytest.raises(SealingError):
        unseal(PREFIX + "not base64!", KEY)


def test_without_a_key_a_sealed_secret_is_an_error() -> None:
    with pytest.raises(SealingError, match="HELGELAND_WEBHOOK_SEALING_KEY"):
        unseal(seal(SECRET, KEY), None)


def test_a_version_1_secret_in_the_clear_passes_through() -> None:
    assert unseal(SECRET, None) == SECRET
    assert unseal(SECRET, KEY) == SECRET


@pytest.mark.parametrize("text", ["", "abc", "zz" * 32, "00" * 31, "00" * 33])
def test_a_key_is_64_hex_digits(text: str) -> None:
    with pytest.raises(SealingError, match="64 hexadecimal digits"):
        parse_key(text)


def test_parse_key_reads_hex_around_whitespace() -> None:
    assert parse_key(f"  {KEY.hex()}\n") == KEY


def test_the_demo_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    first = demo_key(tmp_path / "data")
    assert len(first) == 32
    assert demo_key(tmp_path / "data") == first
    mode = (tmp_path / "data" / DEMO_KEY_FILE).stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert demo_key(tmp_path / "elsewhere") != first
