"""Demo mode's SMTP server (aiosmtpd): every message lands as an .eml file a user can open."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class MaildropHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.counter = itertools.count(len(list(folder.glob("*.eml"))) + 1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        path = self.folder / f"{next(self.counter):05d}.eml"
        path.write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def start_demo_smtp(folder: Path, host: str = "127.0.0.1", port: int = 8025) -> Controller:
    controller = Controller(MaildropHandler(folder), hostname=host, port=port)
    controller.start()
    return controller
