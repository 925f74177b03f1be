"""`helgeland keys`: fresh secret keys for a deployment, as lines of a `.env` file.

Every key is 32 random bytes from the operating system's generator, written as 64 hexadecimal
digits: the pseudonym key (HMAC-SHA-256 over evaluators' pseudonyms; at least 32 bytes) and the
webhook sealing key (AES-256-GCM over webhook secrets in the log; exactly 32 bytes) and the
answer link key (HMAC-SHA-256 over the links candidates answer by; exactly 32 bytes). Tokens are
signed by the identity provider, never by the services, so there is no signing key to make.
"""

from __future__ import annotations

import secrets

from helgeland_contracts.sealing import KEY_BYTES
from helgeland_platform import answer_links

PSEUDONYM_KEY_BYTES = 32


def fresh_keys() -> dict[str, str]:
    """Every secret key the services read, freshly made."""
    return {
        "HELGELAND_PSEUDONYM_KEY": secrets.token_hex(PSEUDONYM_KEY_BYTES),
        "HELGELAND_WEBHOOK_SEALING_KEY": secrets.token_hex(KEY_BYTES),
        "HELGELAND_ANSWER_LINK_KEY": secrets.token_hex(answer_links.KEY_BYTES),
    }


def env_text(keys: dict[str, str]) -> str:
    lines = [
        "# Made by `helgeland keys`. Keep them secret and keep them: a new pseudonym key gives",
        "# evaluators new pseudonyms; a lost sealing key leaves webhook secrets unreadable;",
        "# a new answer link key makes the links in e-mails already sent useless.",
    ]
    return "\n".join([*lines, *(f"{name}={value}" for name, value in keys.items())])
