"""Coded fields take exactly the codes that PRODUCT.md lists, and nothing else."""

import pytest
from django.core.exceptions import ValidationError

from curation.models import Claim, Initiative, Organization, Source
from tests import factories

PRODUCT_CODES = {
    (Organization, "kind"): [
        "government", "public_body", "company", "university", "investor", "industry_body",
        "media", "nonprofit", "other",
    ],
    (Source, "source_type"): [
        "press_release", "news_report", "analysis", "blog", "official_document", "academic",
        "other",
    ],
    (Source, "reliability"): ["A", "B", "C", "D", "E", "F"],
    (Initiative, "kind"): [
        "funding_scheme", "facility", "institute", "partnership", "policy", "programme", "event",
        "investment",
    ],
    (Initiative, "status"): [
        "announced", "in_progress", "operational", "completed", "stalled", "unknown",
    ],
    (Claim, "kind"): ["fact", "figure", "forecast", "quotation"],
    (Claim, "confidence"): ["high", "moderate", "low"],
    (Claim, "status"): ["draft", "in_review", "verified", "disputed", "retracted"],
}  # fmt: skip


@pytest.mark.parametrize(("model", "field"), PRODUCT_CODES)
def test_coded_fields_offer_exactly_the_product_codes_with_readable_labels(model, field):
    choices = model._meta.get_field(field).choices
    assert [code for code, _ in choices] == PRODUCT_CODES[(model, field)]
    for code, label in choices:
        assert label and label != code or len(code) == 1


def instance_for(model):
    if model is Organization:
        return factories.OrganizationFactory()
    if model is Source:
        return factories.SourceFactory()
    if model is Initiative:
        return factories.InitiativeFactory()
    return factories.ClaimFactory(status=Claim.Status.DRAFT)


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "field"), PRODUCT_CODES)
def test_coded_fields_accept_every_product_code_and_refuse_others(model, field):
    obj = instance_for(model)
    for code in PRODUCT_CODES[(model, field)]:
        setattr(obj, field, code)
        if model is Claim and field == "status":
            obj.status_note = "Because a better source says otherwise."
        obj.full_clean()
    for wrong in ["Verified", "unknown-code", "a", " draft"]:
        setattr(obj, field, wrong)
        with pytest.raises(ValidationError) as error:
            obj.full_clean()
        assert field in error.value.message_dict
