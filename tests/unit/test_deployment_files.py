"""`infra/compose.yaml` and `infra/.env.example`, checked against the code (Docker cannot run
here): every process it starts is a real subcommand, every variable it gives a process is one
that process reads, every variable it refers to is documented in `.env.example`, and every
setting either service reads is documented there.
"""

from __future__ import annotations

import os
import re
import tomllib
from typing import Any

import pytest
import yaml
from helgeland_notifications.cli import AuthSettings, build_parser
from helgeland_notifications.settings import NotifySettings
from helgeland_pipeline.cli import _parser as pipeline_parser
from helgeland_pipeline.keys import fresh_keys
from helgeland_pipeline.settings import Settings
from pydantic_settings import BaseSettings

from tests.deployment_support import INFRA, ROOT, env_example

IMAGE = "helgelandslegen:latest"
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}
REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def variables(*models: type[BaseSettings]) -> set[str]:
    return {f"HELGELAND_{name.upper()}" for model in models for name in model.model_fields}


PIPELINE = variables(Settings)
NOTIFICATIONS = variables(NotifySettings, AuthSettings)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((INFRA / "compose.yaml").read_text("utf-8"))
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def ours(service: dict[str, Any]) -> bool:
    return service.get("image") == IMAGE


def test_the_compose_file_runs_every_part_of_the_system(
    services: dict[str, dict[str, Any]],
) -> None:
    assert set(services) == {
        "postgres",
        "migrate",
        "notifications-migrate",
        "api",
        "projections",
        "notifications",
        "smtp",
    }
    commands = {name: s["command"] for name, s in services.items() if ours(s)}
    assert commands == {
        "migrate": ["helgeland", "migrate"],
        "notifications-migrate": ["helgeland-notify", "migrate"],
        "api": ["helgeland", "serve", "--host", "0.0.0.0", "--port", "8000"],
        "projections": ["helgeland", "project"],
        "notifications": ["helgeland-notify", "run", "--host", "0.0.0.0", "--port", "8001"],
    }
    # Outside demo mode: nothing in the compose file turns demo mode (or its issuer) on.
    for service in services.values():
        assert "--demo" not in service.get("command", [])
        assert "HELGELAND_DEMO" not in service.get("environment", {})
    # One active projection worker per read model, a second one standing by.
    assert services["projections"]["deploy"]["replicas"] >= 2
    # The API leaves the read models to the workers.
    assert services["api"]["environment"]["HELGELAND_API_PROJECTIONS"] == "false"


def test_every_command_is_a_subcommand_of_its_cli(services: dict[str, dict[str, Any]]) -> None:
    parsers = {"helgeland": pipeline_parser(), "helgeland-notify": build_parser()}
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    for name, service in services.items():
        if not ours(service):
            continue
        program, *arguments = service["command"]
        assert program in scripts, f"{name}: {program} is not an installed command"
        parsed = parsers[program].parse_args(arguments)  # a bad one raises, naming it
        assert parsed.command == arguments[0]


def test_every_variable_a_service_is_given_is_one_it_reads(
    services: dict[str, dict[str, Any]],
) -> None:
    reads = {"helgeland": PIPELINE, "helgeland-notify": NOTIFICATIONS}
    for name, service in services.items():
        if not ours(service):
            continue
        assert service["env_file"] == [".env"]
        given = set(service.get("environment", {}))
        unread = given - reads[service["command"][0]]
        assert not unread, f"{name} is given variables it never reads: {sorted(unread)}"
        assert "HELGELAND_DATABASE_URL" in given, name
    # The keys reach the processes that use them; the one sealing key is shared.
    api, notifications = services["api"]["environment"], services["notifications"]["environment"]
    assert {"HELGELAND_PSEUDONYM_KEY", "HELGELAND_WEBHOOK_SEALING_KEY"} <= set(api)
    assert api["HELGELAND_WEBHOOK_SEALING_KEY"] == notifications["HELGELAND_WEBHOOK_SEALING_KEY"]
    for variable in ("HELGELAND_AUTH_ISSUER", "HELGELAND_AUTH_AUDIENCE", "HELGELAND_AUTH_JWKS_URL"):
        assert api[variable] == notifications[variable]
    # Mail goes to the placeholder relay unless the operator names a real one.
    assert notifications["HELGELAND_SMTP_HOST"] == "${HELGELAND_SMTP_HOST:-smtp}"


def test_every_variable_the_compose_file_refers_to_is_in_the_env_example() -> None:
    text = (INFRA / "compose.yaml").read_text("utf-8")
    values, documented = env_example()
    made = set(fresh_keys())
    references = REFERENCE.findall(text)
    assert references
    for name, operator, _ in references:
        assert name in documented, f"{name} is used by compose.yaml but not in .env.example"
        if operator in {":?", "?"}:  # required: the example or `helgeland keys` supplies it
            assert name in values or name in made, name
    # The required values the example leaves empty are the password alone (made by the
    # operator) and the keys (made by `helgeland keys`).
    empty = {name for name, value in values.items() if not value}
    assert empty == {"POSTGRES_PASSWORD"}
    assert made == {
        "HELGELAND_PSEUDONYM_KEY",
        "HELGELAND_WEBHOOK_SEALING_KEY",
        "HELGELAND_ANSWER_LINK_KEY",
    }


def test_the_env_example_documents_every_setting_and_nothing_else() -> None:
    _, documented = env_example()
    helgeland = {name for name in documented if name.startswith("HELGELAND_")}
    assert helgeland >= PIPELINE | NOTIFICATIONS, sorted((PIPELINE | NOTIFICATIONS) - helgeland)
    assert helgeland <= PIPELINE | NOTIFICATIONS, sorted(helgeland - PIPELINE - NOTIFICATIONS)
    assert documented - helgeland == {"POSTGRES_PASSWORD"}


def test_the_env_example_values_are_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    values, _ = env_example()
    for name in list(os.environ):
        if name.startswith("HELGELAND_"):
            monkeypatch.delenv(name)
    for name, value in (values | fresh_keys()).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HELGELAND_DATABASE_URL", "postgresql://helgeland:x@postgres/helgeland")
    settings = Settings()
    assert len(settings.webhook_sealing_key_bytes()) == 32
    assert len(settings.pseudonym_key_bytes()) >= 32
    assert settings.auth_jwks_url is not None
    notify = NotifySettings()
    assert notify.sealing_key() == settings.webhook_sealing_key_bytes()
    assert "<" in notify.mail_from


def test_processes_start_in_order(services: dict[str, dict[str, Any]]) -> None:
    def after(name: str) -> dict[str, str]:
        return {k: v["condition"] for k, v in services[name].get("depends_on", {}).items()}

    for name in services:
        assert set(after(name)) <= set(services), name
    assert after("migrate") == {"postgres": "service_healthy"}
    assert "healthcheck" in services["postgres"]
    assert after("notifications-migrate") == {"migrate": "service_completed_successfully"}
    assert after("api")["migrate"] == "service_completed_successfully"
    assert after("projections")["migrate"] == "service_completed_successfully"
    notifications = after("notifications")
    assert notifications["migrate"] == "service_completed_successfully"
    assert notifications["notifications-migrate"] == "service_completed_successfully"
    assert "smtp" in notifications
    # No cycles: a start order exists.
    started: list[str] = []
    while len(started) < len(services):
        ready = [n for n in services if n not in started and set(after(n)) <= set(started)]
        assert ready, f"a cycle among {sorted(set(services) - set(started))}"
        started += ready
    assert started.index("postgres") < started.index("migrate") < started.index("api")


def test_the_smtp_service_is_marked_as_a_placeholder() -> None:
    text = (INFRA / "compose.yaml").read_text("utf-8")
    comment = text[: text.index("\n  smtp:")].rsplit("\n\n", 1)[1]
    assert "PLACEHOLDER" in comment
    assert "HELGELAND_SMTP_HOST" in comment
