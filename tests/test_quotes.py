"""A quote that is not in the source cannot be saved; where it sits is recorded."""

import pytest
from django.core.exceptions import ValidationError

from curation.models import Claim
from tests import factories
from tests.factories import SOURCE_TEXT

pytestmark = pytest.mark.django_db


def claim_with_quote(quote, **kwargs):
    source = factories.SourceFactory(key="cyberport-release")
    return Claim(
        key="the-claim",
        statement="A statement.",
        source=source,
        quote=quote,
        confidence="high",
        **kwargs,
    )


def test_it_accepts_a_verbatim_quote_and_records_where_it_sits():
    claim = claim_with_quote("worth HK$3 billion, had approved about ten projects")
    claim.full_clean()
    claim.save()
    claim.refresh_from_db()
    assert SOURCE_TEXT[claim.quote_start : claim.quote_end] == (
        "worth HK$3 billion, had approved about ten projects"
    )


def test_it_tolerates_differences_of_white_space_and_line_breaks():
    claim = claim_with_quote("utilised,   it's reported.\n")
    claim.full_clean()
    claim = claim_with_quote("now work in the community. The supercomputing\ncentre")
    claim.full_clean()
    assert SOURCE_TEXT[claim.quote_start : claim.quote_end] == (
        "now work in the community.\n\nThe   supercomputing centre"
    )


def test_it_tolerates_straight_for_typographic_quotes_apostrophes_and_dashes():
    claim = claim_with_quote('"We are delighted", said the chairman - adding')
    claim.full_clean()
    assert SOURCE_TEXT[claim.quote_start : claim.quote_end] == (
        "\u201cWe are delighted\u201d, said the chairman \u2014 adding"
    )
    claim_with_quote("utilised, it\u2019s reported").full_clean()


def test_it_refuses_a_changed_word_and_shows_the_nearest_passage():
    claim = claim_with_quote("worth HK$5 billion, had approved about ten projects")
    with pytest.raises(ValidationError) as error:
        claim.full_clean()
    message = error.value.message_dict["quote"][0]
    assert "'the-claim'" in message
    assert "'cyberport-release'" in message
    assert "Nearest passage" in message
    assert "worth HK$3 billion, had approved about ten projects" in message


def test_matching_is_case_sensitive():
    with pytest.raises(ValidationError):
        claim_with_quote("WORTH HK$3 billion").full_clean()


def test_a_quote_not_in_the_source_cannot_be_saved_even_without_a_form():
    claim = claim_with_quote("words nobody wrote")
    with pytest.raises(ValidationError):
        claim.save()
    assert not Claim.objects.exists()


def test_an_empty_quote_is_refused():
    with pytest.raises(ValidationError) as error:
        claim_with_quote("").full_clean()
    assert "quote" in error.value.message_dict
