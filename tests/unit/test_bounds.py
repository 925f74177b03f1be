"""Every input is bounded to what both stores and every read model hold (`bounds`)."""

from __future__ import annotations

import types
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from helgeland_contracts import api_v1, career_v1, forum_v1
from helgeland_contracts.bounds import (
    EARLIEST,
    INT4_MAX,
    INT4_MIN,
    Day,
    Int4,
    Moment,
    MultiLine,
    MunicipalityNumber,
    SingleLine,
    check_moment,
    check_multi_line,
    check_plain_keys,
    check_single_line,
    latest,
)
from helgeland_pipeline import cli
from helgeland_pipeline.api.webhooks import SubscriptionCreate
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from tests.e2e.api import iso_days

NOW = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
PLUS_14 = timezone(timedelta(hours=14))
ROUND = {"name": "LIS1", "positions": {"rana": 2}, "coupled_positions": 1}


def refusal(model: type[BaseModel], **fields: Any) -> dict[str, Any]:
    """The one error `model` raises for `fields`."""
    with pytest.raises(ValidationError) as raised:
        model.model_validate(fields)
    errors = raised.value.errors()
    assert len(errors) == 1, errors
    return dict(errors[0])


# --- moments and days --------------------------------------------------------------------------


def test_a_moment_at_the_window_s_edges_is_accepted() -> None:
    assert check_moment(EARLIEST, NOW) == EARLIEST
    assert check_moment(latest(NOW), NOW) == datetime(2127, 1, 15, 12, 0, tzinfo=UTC)


def test_a_moment_just_outside_the_window_is_refused() -> None:
    for outside in (EARLIEST - timedelta(microseconds=1), latest(NOW) + timedelta(microseconds=1)):
        with pytest.raises(ValueError, match="1950-01-01T00:00Z and 100 years after now"):
            check_moment(outside, NOW)


def test_a_moment_whose_utc_conversion_would_overflow_is_refused_by_name() -> None:
    for attack in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        error = refusal(api_v1.CandidateRegister, name="Kari", email="k@x.no", occurred_at=attack)
        assert error["loc"] == ("occurred_at",)
        assert "between 1950-01-01T00:00Z and 100 years after now (UTC)" in error["msg"]


def test_a_moment_with_an_odd_offset_is_normalised_to_utc() -> None:
    body = {"name": "Kari", "email": "k@x.no", "occurred_at": "2027-01-14T10:00:00+14:00"}
    registered = api_v1.CandidateRegister.model_validate(body)
    assert registered.occurred_at == datetime(2027, 1, 13, 20, 0, tzinfo=UTC)
    assert registered.occurred_at is not None
    assert registered.occurred_at.utcoffset() == timedelta(0)


def test_the_window_is_given_in_local_time_too() -> None:
    # 1950-01-01T00:30+01:00 is 1949-12-31T23:30Z: outside, whatever the clock face says.
    adapter = TypeAdapter(Moment)
    with pytest.raises(ValidationError):
        adapter.validate_python("1950-01-01T00:30:00+01:00")
    assert adapter.validate_python("1949-12-31T23:30:00-01:00") == EARLIEST + timedelta(minutes=30)


def test_a_moment_must_carry_its_zone() -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Moment).validate_python("2027-01-14T10:00:00")
    with pytest.raises(ValueError, match="zone"):
        check_moment(datetime(2027, 1, 14, 10), NOW)


def test_a_century_from_a_leap_day_ends_on_the_28th() -> None:
    assert latest(datetime(2000, 2, 29, 8, tzinfo=UTC)) == datetime(2100, 2, 28, 8, tzinfo=UTC)
    assert latest(datetime(2028, 2, 29, tzinfo=PLUS_14)) == datetime(2128, 2, 28, 10, tzinfo=UTC)


def test_a_day_in_the_window_is_accepted_and_outside_refused() -> None:
    adapter = TypeAdapter(Day)
    assert adapter.validate_python("1950-01-01") == date(1950, 1, 1)
    assert adapter.validate_python(iso_days(365 * 99)) is not None
    for outside in ("1949-12-31", "0001-01-01", "9999-12-31", iso_days(365 * 101)):
        with pytest.raises(ValidationError, match="the date must lie between"):
            adapter.validate_python(outside)


def test_dates_of_every_request_are_bounded_by_name() -> None:
    error = refusal(api_v1.RoundCreate, **ROUND, application_deadline="0001-01-01")
    assert error["loc"] == ("application_deadline",)
    deadline = iso_days(30)
    error = refusal(
        api_v1.RoundCreate, **ROUND, application_deadline=deadline, lis1_starts_on="9999-01-01"
    )
    assert error["loc"] == ("lis1_starts_on",)
    error = refusal(api_v1.OfferMake, unit="rana", coupled=False, answer_by="1900-01-01")
    assert error["loc"] == ("answer_by",)


# --- text --------------------------------------------------------------------------------------


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\t", "\n", "\r", "\x7f", "\x85", "\ud800"])
def test_a_single_line_refuses_control_characters_and_lone_surrogates(character: str) -> None:
    with pytest.raises(ValueError, match=f"U\\+{ord(character):04X}"):
        check_single_line(f"Kari{character}Nordmann")


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f", "\x9f", "\udfff"])
def test_free_text_refuses_other_control_characters(character: str) -> None:
    with pytest.raises(ValueError, match=f"U\\+{ord(character):04X}"):
        check_multi_line(f"notat{character}")


def test_free_text_keeps_newlines_returns_and_tabs() -> None:
    notes = "Første linje\r\nAndre linje\n\tinnrykk"
    assert TypeAdapter(MultiLine).validate_python(notes) == notes
    record = api_v1.InterviewRecord(
        interviewer="Overlege Hansen", primary_care_interest=4, notes=f"  {notes}  "
    )
    assert record.notes == notes


def test_a_single_line_accepts_letters_of_every_script_and_emoji() -> None:
    for text in ("Ærlig Østby-Åsen", "Nguyễn Thị", "Σωκράτης", "山田 太郎", "Kari 👩‍⚕️", "a\u200bb"):
        assert TypeAdapter(SingleLine).validate_python(text) == text


def test_a_refused_character_names_the_field() -> None:
    for name in ("Kari\x00", "Kari\x1b[31m", "Kari\ud800"):
        error = refusal(api_v1.CandidateRegister, name=name, email="kari@example.no")
        assert error["loc"] == ("name",)
    error = refusal(
        api_v1.InterviewRecord, interviewer="Hansen", primary_care_interest=3, notes="\0"
    )
    assert error["loc"] == ("notes",)
    error = refusal(api_v1.Withdrawal, reason="valgte\x00Tromsø")
    assert error["loc"] == ("reason",)


def test_a_field_name_that_cannot_be_echoed_is_refused_for_the_whole_body() -> None:
    error = refusal(api_v1.CandidateRegister, name="Kari", email="k@x.no", **{"x\ud800": 1})
    assert error["loc"] == ()
    assert "U+D800" in error["msg"]
    with pytest.raises(ValueError, match="U\\+0000"):
        check_plain_keys({"a\x00": 1})


def test_short_codes_are_tight() -> None:
    adapter = TypeAdapter(MunicipalityNumber)
    assert adapter.validate_python("1833") == "1833"
    for wrong in ("183", "18330", "18a3", "1833\x00", "１８３３"):
        with pytest.raises(ValidationError):
            adapter.validate_python(wrong)
    error = refusal(api_v1.OfferMake, unit="rana\x00", coupled=False, answer_by=iso_days(14))
    assert error["loc"] == ("unit",)
    error = refusal(api_v1.OfferMake, unit="r" * 41, coupled=False, answer_by=iso_days(14))
    assert error["loc"] == ("unit",)


def test_offered_terms_are_single_lines_but_recorded_terms_still_read() -> None:
    terms = {"pay_model": "fixed_salary", "list_length": 700, "out_of_hours_share": 15}
    terms |= {"training_share": 20, "supervisor": "Dr.\tVeileder"}
    with pytest.raises(ValidationError) as raised:
        forum_v1.Lis3TermsIn.model_validate(terms)
    assert raised.value.errors()[0]["loc"] == ("supervisor",)
    assert forum_v1.Lis3Terms.model_validate(terms).supervisor == "Dr.\tVeileder"


# --- integers ----------------------------------------------------------------------------------


def test_positions_are_bounded_in_count_value_and_key() -> None:
    deadline = iso_days(30)
    base = {"name": "LIS1", "coupled_positions": 0, "application_deadline": deadline}
    accepted = api_v1.RoundCreate.model_validate({**base, "positions": {"rana": 1000}})
    assert accepted.positions == {"rana": 1000}
    for positions in (
        {},
        {"rana": 0},
        {"rana": 1001},
        {"rana": -1},
        {"rana": 99999999999},
        {f"unit{i}": 1 for i in range(51)},
        {"Rana": 1},
        {"r" * 41: 1},
        {"ra\x00na": 1},
        {"ra\ud800na": 1},
    ):
        error = refusal(api_v1.RoundCreate, **base, positions=positions)
        assert error["loc"][0] == "positions", error


def test_a_huge_coupled_position_count_is_refused_by_name() -> None:
    deadline = iso_days(30)
    for coupled in (1001, 99999999999, 2**63, -1):
        error = refusal(
            api_v1.RoundCreate,
            name="LIS1",
            positions={"rana": 2},
            coupled_positions=coupled,
            application_deadline=deadline,
        )
        assert error["loc"] == ("coupled_positions",)


def test_int4_holds_postgresql_integer_and_no_more() -> None:
    adapter = TypeAdapter(Int4)
    assert adapter.validate_python(INT4_MIN) == -2147483648
    assert adapter.validate_python(INT4_MAX) == 2147483647
    for outside in (INT4_MIN - 1, INT4_MAX + 1):
        with pytest.raises(ValidationError):
            adapter.validate_python(outside)


# --- every request field -----------------------------------------------------------------------

BAD_VALUES: dict[type, list[Any]] = {
    str: ["a\x00b", "a\ud800b", "a\x1bb"],
    datetime: ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"],
    date: ["0001-01-01", "9999-12-31"],
    int: [2**31, -(2**31) - 1, 10**30],
}


def _bad_inputs(annotation: Any) -> list[Any]:
    """Values no store could hold, shaped as `annotation` wants them (in a list, a dict...)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _bad_inputs(args[0])
    if origin in (Union, types.UnionType):
        return [bad for arm in args for bad in _bad_inputs(arm)]
    if origin is list:
        return [[bad] for bad in _bad_inputs(args[0])]
    if origin is dict:
        return [{bad: 1} for bad in _bad_inputs(args[0])] + [
            {"rana": bad} for bad in _bad_inputs(args[1])
        ]
    return BAD_VALUES.get(annotation, [])


def _accepted_bad_values(model: type[BaseModel]) -> list[str]:
    accepted = []
    for name, field in model.model_fields.items():
        adapter: TypeAdapter[Any] = TypeAdapter(field.rebuild_annotation())
        for bad in _bad_inputs(field.annotation):
            try:
                adapter.validate_python(bad)
            except ValidationError:
                continue
            accepted.append(f"{model.__name__}.{name} = {bad!r}")
    return accepted


def _request_models() -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = [SubscriptionCreate, forum_v1.Lis3TermsIn]
    for module in (api_v1, forum_v1, career_v1):
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, api_v1.Request)
        ]
    return found


@pytest.mark.parametrize("model", _request_models(), ids=lambda m: m.__name__)
def test_every_request_field_refuses_what_no_store_holds(model: type[BaseModel]) -> None:
    assert _accepted_bad_values(model) == []


def test_an_unbounded_field_would_be_caught() -> None:
    class Unbounded(api_v1.Request):
        name: str
        at: datetime | None = None
        days: list[date] = Field(default_factory=list)
        counts: dict[str, int] = Field(default_factory=dict)

    accepted = _accepted_bad_values(Unbounded)
    for field in ("name", "at", "days", "counts"):
        assert any(a.startswith(f"Unbounded.{field} = ") for a in accepted), field


# --- the CLI -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+14:00", "0001-01-01", "9999-12-31", "1949-12-31T23:59:59Z"]
)
def test_the_report_refuses_a_moment_outside_the_window(
    moment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["report", "--as-of", moment]) == 2
    assert cli.main(["report", "--as-of", "2025-06-30", "--known-at", moment]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert all("between 1950-01-01T00:00Z and 100 years after now" in line for line in err)


def test_the_report_takes_a_moment_in_the_window_as_given() -> None:
    assert cli._moment("1950-01-01T00:00:00+00:00") == EARLIEST
    odd = cli._moment("2025-06-30T12:00:00+14:00")
    assert odd == datetime(2025, 6, 29, 22, 0, tzinfo=UTC)
