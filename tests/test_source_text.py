"""The archived text is the evidence: a change that would break a quote is refused."""

import hashlib

import pytest
from django.core.exceptions import ValidationError

from tests import factories
from tests.factories import SOURCE_TEXT

pytestmark = pytest.mark.django_db


def test_the_content_hash_of_the_archived_text_is_kept():
    source = factories.SourceFactory()
    source.refresh_from_db()
    assert source.text_sha256 == hashlib.sha256(SOURCE_TEXT.encode()).hexdigest()


def test_an_edit_that_would_break_a_quote_is_refused_naming_the_claims():
    claim = factories.ClaimFactory(key="aiss-budget")
    factories.ClaimFactory(key="aiss-projects", source=claim.source, quote="about ten projects")
    source = claim.source
    source.text = SOURCE_TEXT.replace("HK$3 billion", "HK$3bn").replace("ten projects", "10")
    with pytest.raises(ValidationError) as error:
        source.full_clean()
    message = error.value.message_dict["text"][0]
    assert "aiss-budget" in message and "aiss-projects" in message
    source.refresh_from_db()
    assert source.text == SOURCE_TEXT


def test_an_edit_that_keeps_every_quote_moves_the_recorded_offsets():
    claim = factories.ClaimFactory()
    source = claim.source
    source.text = "Editor's note: reformatted.\n\n" + SOURCE_TEXT
    source.full_clean()
    source.save()
    claim.refresh_from_db()
    assert source.text[claim.quote_start : claim.quote_end] == claim.quote
    assert source.text_sha256 == hashlib.sha256(source.text.encode()).hexdigest()
