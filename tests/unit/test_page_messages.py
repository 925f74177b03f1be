"""The pages tell the API's refusals in Norwegian, naming the field, never in English."""

from __future__ import annotations

import re

import pytest
from fastapi.exceptions import RequestValidationError
from helgeland_contracts.forum_v1 import InvitationAnswerIn, Lis3OfferCreate
from helgeland_contracts.privacy_v1 import ErasureRequest
from helgeland_pipeline.domain.common import InvalidInput, InvariantViolated
from helgeland_pipeline.web.messages import DOMAIN, norwegian
from helgeland_platform.egress import REFUSED, DestinationRefused
from pydantic import BaseModel, ValidationError

ENGLISH = re.compile(r"\b(the|must|is|not|should|field|required|value|at least|input)\b", re.I)


def refusal(model: type[BaseModel], data: dict[str, object]) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return norwegian(caught.value)


def test_a_missing_field_is_named_in_norwegian() -> None:
    said = refusal(ErasureRequest, {"reason": ""})
    assert said == "Sjekk feltene: «begrunnelse» må fylles ut."


def test_numbers_out_of_range_name_the_field_and_the_limit() -> None:
    terms = {"pay_model": "fixed_salary", "list_length": 9000, "out_of_hours_share": 10}
    said = refusal(
        Lis3OfferCreate,
        {
            "municipality": "1833",
            "start_date": "2030-01-01",
            "expires_on": "2029-01-01",
            "terms": terms | {"training_share": 20},
        },
    )
    assert "«listelengde» kan være høyst 3000" in said
    assert not ENGLISH.search(said), said


def test_a_choice_outside_the_list_and_a_bad_time_are_norwegian() -> None:
    said = refusal(InvitationAnswerIn, {"answer": "maybe", "new_time": "tomorrow"})
    assert "«svar» er ikke et av valgene" in said
    assert "«nytt tidspunkt»" in said
    assert not ENGLISH.search(said), said


def test_the_domain_rules_are_told_in_norwegian() -> None:
    assert norwegian(InvariantViolated("the application deadline has passed")) == (
        "Kunne ikke lagres: Søknadsfristen har gått ut."
    )
    said = norwegian(InvalidInput("training time must be at least 20 % of working time"))
    assert (
        said
        == "Ugyldige opplysninger: «andel tid til utdanning» må være minst 20 % av arbeidstiden."
    )
    said = norwegian(InvalidInput("as_of must be a date (YYYY-MM-DD), not '31.12.2026'"))
    assert said == "Ugyldige opplysninger: «per dato» må være en dato (ÅÅÅÅ-MM-DD)."


def test_an_untranslated_message_is_not_shown_in_english() -> None:
    said = norwegian(InvariantViolated("some new rule nobody translated yet"))
    assert said == "Kunne ikke lagres: det bryter en regel i programmet."


def test_a_refused_webhook_address_is_explained_without_telling_why_inside() -> None:
    said = norwegian(InvalidInput(str(DestinationRefused(REFUSED))))
    assert said.startswith("Adressen ble avvist")
    assert "https" in said


def test_the_request_models_errors_come_through_the_same_words() -> None:
    error = RequestValidationError(
        [{"type": "date_parsing", "loc": ("query", "as_of"), "msg": "x", "input": "y"}]
    )
    assert norwegian(error) == "Sjekk feltene: «per dato» må være en dato."


def test_every_translation_is_a_valid_pattern_with_norwegian_text() -> None:
    for pattern, text in DOMAIN:
        re.compile(pattern)
        assert not ENGLISH.search(text.replace("{", "").replace("}", "")), text
