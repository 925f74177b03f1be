"""The `helgeland` command: serve, migrate, seed-demo, synthesize, project, rebuild,
projections, report, erase, reseal, token, keys."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import NoReturn
from uuid import UUID

from helgeland_contracts.bounds import check_moment
from helgeland_platform import settings_errors
from pydantic import ValidationError

from helgeland_pipeline.cli_errors import CliError
from helgeland_pipeline.domain.common import Role, end_of_day
from helgeland_pipeline.settings import ConfigurationError, Settings

DEMO_PEOPLE = {
    Role.HOSPITAL_RECRUITER: ("demo-recruiter", "Helgelandssykehuset HF"),
    Role.FORUM: ("demo-forum", "Kommuneoverlegeforum Helgeland"),
    Role.EVALUATOR: ("demo-evaluator", "NSDM"),
    Role.ADMIN: ("demo-admin", "Helgelandslegen"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CliError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="helgeland", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    serve = commands.add_parser("serve", help="run the HTTP API and the projection runners")
    serve.add_argument("--demo", action="store_true", help="local token issuer and demo data")
    serve.add_argument("--host")
    serve.add_argument("--port", type=_port)
    commands.add_parser("seed-demo", help="load the demo story into an empty log")
    commands.add_parser("migrate", help="apply the database migrations of this release")
    synthesize = commands.add_parser(
        "synthesize", help="write a seeded national synthetic history (all trusts, all years)"
    )
    synthesize.add_argument(
        "--candidates", required=True, type=_candidates, help="how many applicants in all"
    )
    synthesize.add_argument("--seed", type=_seed, default=2024, help="default 2024")
    synthesize.add_argument("--years", type=_years, default=10, help="rounds of the last Y years")
    project = commands.add_parser("project", help="run the projection runners in the foreground")
    project.add_argument("--until-caught-up", action="store_true", help="exit when caught up")
    rebuild = commands.add_parser(
        "rebuild", help="build read models not caught up (new versions) and switch reads to them"
    )
    rebuild.add_argument(
        "--from-zero", action="store_true", help="drop the current versions first, replay all"
    )
    projections = commands.add_parser("projections", help="the read models: status, skip")
    what = projections.add_subparsers(dest="action", required=True, parser_class=_Parser)
    status = what.add_parser("status", help="each read model's position, lag and last error")
    status.add_argument("--json", action="store_true", help="one JSON object per read model")
    skip = what.add_parser("skip", help="step over one event a read model cannot apply")
    skip.add_argument("--projection", required=True, help="read model name, e.g. hospital")
    skip.add_argument("--event", required=True, type=_position, help="the event's log position")
    skip.add_argument("--reason", required=True, help="why (recorded and shown in status)")
    skip.add_argument("--by", help="who decides (default: the operating-system user)")
    report = commands.add_parser("report", help="write the dated evaluation report (HTML)")
    report.add_argument("--as-of", required=True, type=_moment, help="DATE or ISO time")
    report.add_argument("--known-at", type=_moment, help="DATE or ISO time (default: now)")
    report.add_argument("--out", type=Path, help="file to write (default: reports/...)")
    erase = commands.add_parser(
        "erase", help="erase a candidate's personal data (GDPR art. 17); the facts stay"
    )
    erase.add_argument("candidate_id", type=_uuid, help="the candidate's id")
    erase.add_argument("--reason", required=True, help="why, one line (kept in the log)")
    export = commands.add_parser(
        "export", help="write everything held about a candidate (GDPR art. 15) to a file"
    )
    export.add_argument("candidate_id", type=_uuid, help="the candidate's id")
    export.add_argument("--out", required=True, type=Path, help="file to write (mode 0600)")
    export.add_argument(
        "--format", choices=["json", "html"], help="default: html for a .html file, else json"
    )
    reseal = commands.add_parser(
        "reseal", help="seal personal fields that events stored before sealing hold in the clear"
    )
    reseal.add_argument(
        "--restart", action="store_true", help="from the start of the log, not where it stopped"
    )
    token = commands.add_parser("token", help="print a demo bearer token for a role")
    token.add_argument("role", choices=[str(r) for r in Role if r != Role.CANDIDATE])
    token.add_argument("--municipality", help="municipality number, for the municipality role")
    commands.add_parser("keys", help="print fresh secret keys as .env lines (see infra/)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.command == "keys":  # needs no settings: it makes them
            from helgeland_pipeline.keys import env_text, fresh_keys  # noqa: PLC0415

            print(env_text(fresh_keys()))
            return 0
        settings = Settings(demo=True) if getattr(args, "demo", False) else Settings()
        return _run(args, settings)
    except CliError as error:
        print(error, file=sys.stderr)
        return 2
    except ConfigurationError as error:
        print(f"helgeland: {error}", file=sys.stderr)
        return 2
    except ValidationError as error:
        print(f"helgeland: {settings_errors.describe(error)}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from helgeland_platform.private_files import keep_private  # noqa: PLC0415

    keep_private(settings.data_dir, settings.database_url)  # files 0600, folders 0700
    if args.command == "token":
        print(_token(settings, Role(args.role), args.municipality))
        return 0
    from helgeland_platform.logs import configure_logging  # noqa: PLC0415

    from helgeland_pipeline import commands  # noqa: PLC0415 - keep `token` and `--help` fast

    configure_logging()

    if args.command == "serve":
        commands.serve(settings, args.host, args.port)
    elif args.command == "migrate":
        commands.migrate(settings)
    elif args.command == "seed-demo":
        commands.seed(settings)
    elif args.command == "synthesize":
        commands.synthesize(settings, args.candidates, args.seed, args.years)
    elif args.command == "project":
        commands.project(settings, until_caught_up=args.until_caught_up)
    elif args.command == "rebuild":
        commands.rebuild(settings, from_zero=args.from_zero)
    elif args.command == "projections" and args.action == "status":
        return commands.projections_status(settings, as_json=args.json)
    elif args.command == "projections" and args.action == "skip":
        commands.projections_skip(settings, args.projection, args.event, args.reason, args.by)
    elif args.command == "report":
        commands.report(settings, args.as_of, args.known_at, args.out)
    elif args.command in ("erase", "reseal", "export"):
        _privacy(args, settings)
    return 0


def _privacy(args: argparse.Namespace, settings: Settings) -> None:
    from helgeland_pipeline.privacy import cli  # noqa: PLC0415

    if args.command == "erase":
        cli.erase(settings, args.candidate_id, args.reason)
    elif args.command == "reseal":
        cli.reseal(settings, restart=args.restart)
    else:
        html = args.format == "html" or (args.format is None and args.out.suffix == ".html")
        cli.export(settings, args.candidate_id, args.out, html=html)


def _bounded_int(text: str, low: int, high: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        msg = f"{what} must be a whole number from {low} to {high}, not {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _port(text: str) -> int:
    return _bounded_int(text, 1, 65535, "a port")


def _candidates(text: str) -> int:
    return _bounded_int(text, 1, 10_000_000, "--candidates")


def _seed(text: str) -> int:
    return _bounded_int(text, 0, 2**63 - 1, "--seed")


def _years(text: str) -> int:
    return _bounded_int(text, 1, 40, "--years")


def _position(text: str) -> int:
    return _bounded_int(text, 1, 2**63 - 1, "an event position")


def _uuid(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        msg = f"not a candidate id (a UUID): {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def _moment(text: str) -> datetime:
    """A date means the end of that day in Norway; a time must carry its zone and lie in the
    window every input keeps (`helgeland_contracts.bounds`)."""
    try:
        if len(text) == 10:
            moment = end_of_day(date.fromisoformat(text))
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        msg = f"not a date or ISO time: {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if moment.tzinfo is None:
        msg = f"give a time zone with the time: {text!r}"
        raise argparse.ArgumentTypeError(msg)
    try:
        check_moment(moment)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{error}: {text!r}") from None
    return moment


def _token(settings: Settings, role: Role, municipality: str | None) -> str:
    from helgeland_pipeline.auth import DemoIssuer  # noqa: PLC0415 - not the whole stack
    from helgeland_pipeline.reference import load_reference  # noqa: PLC0415

    if settings.auth_jwks_file or settings.auth_jwks_url:
        msg = "helgeland token: tokens come from your identity provider outside demo mode"
        raise CliError(msg)
    if role == Role.MUNICIPALITY:
        known = load_reference().municipalities
        if municipality not in known:
            msg = f"helgeland token: --municipality must be one of {', '.join(sorted(known))}"
            raise CliError(msg)
        person, organisation = f"demo-kommuneoverlege-{municipality}", known[municipality].name
    elif municipality is not None:
        msg = "helgeland token: --municipality is only for the municipality role"
        raise CliError(msg)
    else:
        person, organisation = DEMO_PEOPLE[role]
    issuer = DemoIssuer(settings.demo_jwks_file, settings.auth_issuer, settings.auth_audience)
    return issuer.issue(role, person, organisation, municipality)
