"""The issuer's public keys, kept fresh so the issuer can rotate them.

The key set is fetched at start (a failure then stops the service: it cannot check a token).
After that it is fetched again

- on a schedule (`refresh_seconds`, by default hourly), in the background: the request that
  notices the set is due goes on with the keys at hand, so a slow or unreachable issuer never
  holds up a request; and
- when a token names a key id (`kid`) the set does not hold: at once, so a token signed with a
  newly published key is accepted on its first use, but at most once per
  `min_refetch_seconds` (30 s by default), so tokens with made-up key ids cannot make the
  service hammer the issuer.

A failed fetch keeps the keys already held and is logged (the source and the error, nothing of
any token); the next attempt waits at least `min_refetch_seconds`.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from joserfc.jwk import KeySet

from helgeland_platform.logs import log

_log = logging.getLogger("helgeland.auth")
_PRIVATE = frozenset({"d", "p", "q", "dp", "dq", "qi"})


def public_key_set(data: Any) -> KeySet:
    """A JWKS document's keys, private members dropped."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        msg = "not a JWKS document (no list of keys)"
        raise ValueError(msg)
    public = [{k: v for k, v in key.items() if k not in _PRIVATE} for key in data["keys"]]
    return KeySet.import_key_set({"keys": public})


def fetch_url(url: str, timeout: float = 10.0) -> Callable[[], KeySet]:
    def fetch() -> KeySet:
        response = httpx.get(url, timeout=timeout)
        response.raise_for_status()
        return public_key_set(response.json())

    return fetch


def read_file(path: Path) -> Callable[[], KeySet]:
    def fetch() -> KeySet:
        return public_key_set(json.loads(path.read_text("utf-8")))

    return fetch


def key_ids(keys: KeySet) -> set[str]:
    return {str(key.kid) for key in keys.keys if key.kid is not None}


def token_kid(token: str) -> str | None:
    """The key id a compact JWS names in its header, if it can be read (else None: the
    signature check that follows refuses a malformed token with its own reason)."""
    header = token.partition(".")[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (ValueError, TypeError):
        return None
    kid = decoded.get("kid") if isinstance(decoded, dict) else None
    return kid if isinstance(kid, str) else None


class RefreshingKeySet:
    """An issuer's key set, fetched again on a schedule and on an unknown key id."""

    def __init__(
        self,
        fetch: Callable[[], KeySet],
        *,
        source: str,
        refresh_seconds: float = 3600.0,
        min_refetch_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 10.0,
    ) -> None:
        self._fetch = fetch
        self.timeout = timeout  # longest wait for a fetch in flight
        self.source = source  # where the keys come from, for logs
        self.refresh_seconds = refresh_seconds
        self.min_refetch_seconds = min_refetch_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._keys = fetch()
        self._fetched_at = self._attempted_at = clock()
        self._background: threading.Thread | None = None
        self.fetches = 1  # how many times the set was fetched (or tried), for tests and metrics

    def current(self) -> KeySet:
        """The keys at hand; starts a background fetch when the schedule says it is due."""
        now = self._clock()
        with self._lock:
            due = now - self._fetched_at >= self.refresh_seconds and self._may_try(now)
            if due and (self._background is None or not self._background.is_alive()):
                self._attempted_at = now
                self._background = threading.Thread(
                    target=self._refresh, name="jwks-refresh", daemon=True
                )
                self._background.start()
            return self._keys

    def refresh_for(self, kid: str) -> bool:
        """A token names `kid`, which the set lacks: fetch again now unless one was tried
        within `min_refetch_seconds`. Returns whether the set holds `kid` afterwards."""
        self.wait_for_background(self.timeout)  # a fetch in flight may bring it
        with self._lock:
            if kid in key_ids(self._keys):
                return True
            now = self._clock()
            if not self._may_try(now):
                return False
            self._attempted_at = now
        self._refresh()
        with self._lock:
            return kid in key_ids(self._keys)

    def wait_for_background(self, timeout: float = 30.0) -> None:
        """Wait for a background fetch in flight (for tests and orderly shutdown)."""
        thread = self._background
        if thread is not None:
            thread.join(timeout)

    def _may_try(self, now: float) -> bool:
        return now - self._attempted_at >= self.min_refetch_seconds

    def _refresh(self) -> None:
        try:
            keys = self._fetch()
        except Exception as error:  # the issuer is down or answers nonsense: keep the old keys
            with self._lock:
                self.fetches += 1
            log(
                _log,
                logging.WARNING,
                "jwks refresh failed; keeping the keys held",
                source=self.source,
                error=f"{type(error).__name__}: {error}",
            )
            return
        with self._lock:
            self.fetches += 1
            before = key_ids(self._keys)
            self._keys = keys
            self._fetched_at = self._clock()
        after = key_ids(keys)
        if after != before:
            log(
                _log,
                logging.INFO,
                "jwks keys changed",
                source=self.source,
                added=sorted(after - before),
                removed=sorted(before - after),
            )


def key_source(
    jwks_file: Path | None,
    jwks_url: str | None,
    *,
    refresh_seconds: float = 3600.0,
    min_refetch_seconds: float = 30.0,
) -> RefreshingKeySet:
    """The issuer's keys from a JWKS file or URL, kept fresh (a file is read again just as a
    URL is fetched again, so keys rotated into a mounted file are picked up too)."""
    if jwks_file is not None:
        fetch, source = read_file(jwks_file), str(jwks_file)
    elif jwks_url is not None:
        fetch, source = fetch_url(jwks_url), jwks_url
    else:
        msg = "no JWKS file or URL configured"
        raise ValueError(msg)
    return RefreshingKeySet(
        fetch,
        source=source,
        refresh_seconds=refresh_seconds,
        min_refetch_seconds=min_refetch_seconds,
    )
