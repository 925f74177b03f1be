"""A browser session for the tests: every page it opens is checked by axe-core, and a failing
test leaves a screenshot of where it was."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page

SERIOUS = ("serious", "critical")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@dataclass
class Browser:
    page: Page
    base: str
    axe: str
    checked: set[str] = field(default_factory=set)

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.check()

    def sign_in(self, role: str, municipality: str | None = None) -> None:
        query = f"rolle={role}" + (f"&kommune={municipality}" if municipality else "")
        self.goto(f"/demo/logg-inn?{query}")

    def submit(self, button: str) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=button, exact=True).click()
        self.check()

    def follow(self, link: str) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=link, exact=True).first.click()
        self.check()

    def reload_until(self, shown: Callable[[], bool], what: str) -> None:
        """A command stored but not yet in the read models ("it may take a moment") shows
        once they catch up: reload until it does, with a generous deadline (a busy machine)."""
        deadline = time.monotonic() + 180
        while not shown():
            assert time.monotonic() < deadline, f"never shown: {what}"
            self.page.wait_for_timeout(500)
            self.page.reload()
        self.check()

    def has_button(self, name: str) -> bool:
        return self.page.get_by_role("button", name=name, exact=True).count() > 0

    def flash(self) -> str:
        return self.page.locator(".flash").inner_text()

    def check(self) -> None:
        """axe-core on the page as it is now: no serious or critical violation."""
        if self.page.evaluate("typeof window.axe") == "undefined":
            self.page.add_script_tag(content=self.axe)
        result: dict[str, Any] = self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
        )
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(str(n["target"]) for n in v["nodes"][:3])
            for v in result["violations"]
            if v["impact"] in SERIOUS
        ]
        where = urlsplit(self.page.url).path
        assert bad == [], f"axe-core on {where}:\n" + "\n".join(bad)
        self.checked.add(where)
