"""Log lines never carry an exception's message or an e-mail address, whoever logs them."""

from __future__ import annotations

import io
import json
import logging

from helgeland_platform.logs import JsonFormatter

NAME, EMAIL = "Ådne Qwyxzøbakken", "adne.qwyxzobakken@eksempel.no"


def formatted(logger: str, message: str, error: Exception | None = None) -> dict[str, object]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger(logger)
    log.addHandler(handler)
    log.propagate = False
    try:
        if error is None:
            log.error(message)
        else:
            try:
                raise error
            except type(error):
                log.exception(message)
    finally:
        log.removeHandler(handler)
    return dict(json.loads(stream.getvalue()))


def test_an_exception_is_logged_by_its_type_and_place_never_its_message() -> None:
    line = formatted(
        "uvicorn.error",
        "Exception in ASGI application",
        ValueError(f"invalid input for query argument $1: {NAME!r} <{EMAIL}>"),
    )
    text = json.dumps(line, ensure_ascii=False)
    assert line["exception"] == "ValueError"
    assert str(line["raised_at"]).endswith(".py:" + str(line["raised_at"]).split(":")[-1])
    assert NAME not in text
    assert EMAIL not in text


def test_e_mail_addresses_in_other_libraries_messages_are_masked() -> None:
    line = formatted("mail.log", f"550 5.1.1 <{EMAIL}>: Recipient address rejected")
    assert EMAIL not in str(line["message"])
    assert "<e-mail>" in str(line["message"])
