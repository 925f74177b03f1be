"""Events stored before sealing existed are re-sealed (`helgeland reseal`), so that erasing the
person afterwards leaves no byte of them: the SQLite file with its WAL, or a `pg_dump`."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Mapper
from helgeland_pipeline.application import PipelineApplication
from helgeland_pipeline.bootstrap import build_services
from helgeland_pipeline.database import Database
from helgeland_pipeline.domain.candidates import CareerPreference
from helgeland_pipeline.domain.common import Actor, Role
from helgeland_pipeline.privacy.erasure import erase
from helgeland_pipeline.privacy.reseal import reseal as reseal_log
from helgeland_pipeline.settings import Settings
from helgeland_platform import engines

from tests.e2e.test_erasure import dump, found_in, leaks
from tests.factories import RECRUITER, Journey, forum_list, lis3_terms, municipal
from tests.processes import cli_env

BIN = Path(sys.executable).parent
ADMIN = Actor("personvernombud", "Helgelandssykehuset HF", Role.ADMIN)
NAME, EMAIL, PHONE = "Gammel Zqxø Klartekstsen", "gammel.zqx@eksempel.no", "+47 912 34 567"
INTERVIEWER, NOTES = "Overlege Zqxæ Eldre", "Notat fra før forseglingen: Zqxå vil til Lurøy"
SECRETS = [NAME, EMAIL, PHONE, INTERVIEWER, NOTES]
KEPT = "Kontroll Zqxø Beholdtsen"


class _BeforeSealing(PipelineApplication):
    """The release before personal fields were sealed: texts stored in the clear."""

    name = "Pipeline"  # the same log

    def construct_mapper(self) -> Mapper[UUID]:
        return Application.construct_mapper(self)

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        return Application.save(self, *objs, **kwargs)


def reseal(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "helgeland"), "reseal", *args],
        env=cli_env(settings),
        cwd=settings.data_dir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_resealed_events_of_an_erased_person_leave_no_byte(settings: Settings) -> None:
    services = build_services(settings, migrate=True)
    old = _BeforeSealing(
        Database(settings.database_url, settings.database_schema).eventsourcing_env(),
        keys=services.app.keys,
    )
    try:
        journey = Journey(old)
        journey.open_round()
        person = old.register_candidate(RECRUITER, NAME, EMAIL, PHONE).id
        old.submit_lis1_application(
            RECRUITER, person, journey.round_id, CareerPreference.GENERAL_PRACTICE, [], True
        )
        old.record_lis1_interview(RECRUITER, person, INTERVIEWER, 4, NOTES)
        kept = old.register_candidate(RECRUITER, KEPT, "kontroll.zqx@eksempel.no").id
    finally:
        old.close()
    try:
        services.catch_up()
        assert services.app.personal_data_of(person, contact_only=True)[:1] == [NAME]
        assert leaks(settings, [NAME, NOTES])  # stored in the clear: the search can fail

        first = reseal(settings)
        assert first.returncode == 0, first.stderr
        assert "position " in first.stdout  # progress, a line per page
        assert "Resealed 3 events (7 values)" in first.stdout, first.stdout
        assert "Resealed 0 events" in reseal(settings).stdout  # it resumes where it stopped
        again = reseal(settings, "--restart")
        assert "Resealed 0 events" in again.stdout, again.stdout  # and is idempotent
        # Sealed, every value reads as before.
        assert sorted(services.app.personal_data_of(person)) == sorted(SECRETS)
        assert services.app.personal_data_of(kept, contact_only=True)[0] == KEPT

        erase(services, ADMIN, person, "Ba om sletting")
        assert leaks(settings, SECRETS) == {}
        assert any(found_in(data, [KEPT]) for data in dump(settings).values())
        assert services.app.personal_data_of(kept, contact_only=True)[0] == KEPT
    finally:
        services.close()


def test_a_person_erased_before_the_reseal_is_sealed_unreadably(settings: Settings) -> None:
    services = build_services(settings, migrate=True)
    old = _BeforeSealing(
        Database(settings.database_url, settings.database_schema).eventsourcing_env(),
        keys=services.app.keys,
    )
    try:
        person = old.register_candidate(RECRUITER, NAME, EMAIL, PHONE).id
    finally:
        old.close()
    try:
        services.catch_up()
        erase(services, ADMIN, person, "Ba om sletting")
        assert leaks(settings, [NAME, EMAIL])  # erased, but the old event holds them in the clear

        done = reseal_log(services.app, services.engine)
        assert (done.rewritten, done.values) == (1, 3)
        engines.checkpoint(services.engine)
        assert leaks(settings, [NAME, EMAIL, PHONE]) == {}
        assert services.app.personal_data_of(person) == []  # reads as erased, as sealed data does
    finally:
        services.close()


def test_fields_of_the_forum_candidacy_are_sealed_with_the_candidate_s_key(
    settings: Settings,
) -> None:
    supervisor = "Fastlege Zqxø Gammelveileder"
    services = build_services(settings, migrate=True)
    old = _BeforeSealing(
        Database(settings.database_url, settings.database_schema).eventsourcing_env(),
        keys=services.app.keys,
    )
    try:
        shared = forum_list(old, shared=1)
        person = shared.shared[0]
        expires = shared.lis3_start - timedelta(days=1)
        terms = lis3_terms(supervisor=supervisor)
        old.offer_lis3(municipal("1833"), person, "1833", shared.lis3_start, terms, expires)
    finally:
        old.close()
    try:
        services.catch_up()
        assert leaks(settings, [supervisor])
        reseal_log(services.app, services.engine)
        assert supervisor in services.app.personal_data_of(person)  # opened with their key
        erase(services, ADMIN, person, "Ba om sletting")
        assert leaks(settings, [supervisor]) == {}
    finally:
        services.close()
