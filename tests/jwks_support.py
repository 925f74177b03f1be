"""A real JWKS endpoint on loopback for tests: an issuer's published keys, changed at will."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc.jwk import ECKey


@dataclass
class JwksEndpoint:
    """What the issuer publishes at its JWKS URL, changed by the test; counts the fetches."""

    keys: list[ECKey] = field(default_factory=list)
    failing: bool = False
    fetches: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def publish(self, *keys: ECKey) -> None:
        with self.lock:
            self.keys = list(keys)

    def body(self) -> bytes | None:
        with self.lock:
            self.fetches += 1
            if self.failing:
                return None
            return json.dumps({"keys": [k.as_dict(private=False) for k in self.keys]}).encode()


@contextmanager
def jwks_endpoint() -> Iterator[JwksEndpoint]:
    published = JwksEndpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = published.body()
            if body is None:
                self.send_error(503)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    published.url = f"http://127.0.0.1:{server.server_address[1]}/jwks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield published
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
