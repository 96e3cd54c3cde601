"""
Helpers the test modules share: content to build, files to import, briefings to publish.

The CSV column lists here are the contract's (docs/csv.md), written out rather than read from
the code, so a test comparing the two fails when the code drifts.
"""

import datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from curation import resources
from curation.models import (
    Briefing,
    Claim,
    Initiative,
    Organization,
    ReviewComment,
    Revision,
    Source,
    Topic,
)
from curation.publishing import publish
from tests import factories

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(settings.BASE_DIR) / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"


def published(*bodies, **fields):
    """A briefing published with one section per body, titled "Part 0", "Part 1"…"""
    briefing = factories.BriefingFactory(**fields)
    for position, body in enumerate(bodies):
        factories.SectionFactory(
            briefing=briefing, position=position, title=f"Part {position}", body=body
        )
    return publish(briefing)


def approve_open_revisions(obj):
    """Submit every open revision of `obj` and have a reviewer who wrote none approve each."""
    from curation import revisions
    from curation.models import Revision

    approver = factories.reviewer()
    for revision in Revision.objects.open().for_object(obj):
        if revision.status != Revision.Status.SUBMITTED:
            revisions.submit(revision, revision.author)
        revisions.approve(revision, approver)


# CSV files ---------------------------------------------------------------------------------------


CLAIM_HEADER = (
    "key,statement,source,quote,locator,speaker,kind,initiative,organizations,topics,"
    "attribute,value,unit,as_of,confidence,confidence_rationale,status,status_note,"
    "precision,value_high"
)


def import_csv(resource_class, data, **options):
    dataset = resources.read_csv(data, resource_class.default_file_name())
    return resource_class(**options).import_data(dataset)


def problems(result):
    return [str(p) for p in result.problems]


def claim_row(key="claim-a", **cells):
    row = {
        "key": key,
        "statement": "The scheme is worth HK$3 billion.",
        "source": "cyberport-release",
        "quote": "its AI Subsidy Scheme, worth HK$3 billion",
        "locator": "",
        "speaker": "",
        "kind": "figure",
        "initiative": "",
        "organizations": "",
        "topics": "",
        "attribute": "budget",
        "value": "3000000000",
        "unit": "HKD",
        "as_of": "2024-07-01",
        "confidence": "high",
        "confidence_rationale": "The operator says so.",
        "status": "verified",
        "status_note": "",
        "precision": "",
        "value_high": "",
    }
    row.update(cells)
    return ",".join(_quote(row[column]) for column in CLAIM_HEADER.split(","))


def _quote(cell):
    if any(c in cell for c in ',"\n\r'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def claims_csv(*rows):
    return "\n".join([CLAIM_HEADER, *rows]) + "\n"


# Content for exports -----------------------------------------------------------------------------


COLUMNS = {
    resources.TopicResource: "slug,name,description",
    resources.OrganizationResource: "slug,name,kind,aliases,website,description",
    resources.SourceResource: "key,title,publisher,author,url,source_type,published_on,"
    "retrieved_on,reliability,reliability_note,language,text,archived_on,url_status",
    resources.InitiativeResource: "slug,name,kind,status,lead,partners,topics,announced_on,"
    "target,summary",
    resources.ClaimResource: "key,statement,source,quote,locator,speaker,kind,initiative,"
    "organizations,topics,attribute,value,unit,as_of,confidence,confidence_rationale,status,"
    "status_note,precision,value_high,conflicts_with,corroborated_by",
    resources.ContradictionResource: "claim,contradicts,note",
    resources.BriefingResource: "slug,title,edition_date,standfirst,status,published_at,"
    "published_by,updated_at",
    resources.ReviewResource: "claim,created_by,reviewed_by,reviewed_at,first_public_at",
    resources.SectionResource: "briefing,position,title,body,anchor",
    resources.RevisionResource: "key,model,object,author,status,reason,base,content,created_at,"
    "submitted_at,decided_by,decided_at",
    resources.ReviewCommentResource: "key,model,object,revision,author,kind,body,created_at",
    resources.ConflictExplanationResource: "claim,other,briefing,note,explained_by,explained_at",
}


def build_content():
    """A little of everything: drafts, retracted and disputed claims, figures, formulas."""
    compute = factories.TopicFactory(slug="compute", name="Compute", description="=cmd|' /C'!A0")
    factories.TopicFactory(slug="talent", name="Talent")
    cyberport = factories.OrganizationFactory(
        slug="cyberport", name="Cyberport", aliases="HK Cyberport;Cyberport Ltd"
    )
    government = factories.OrganizationFactory(
        slug="government", name="Government", kind=Organization.Kind.GOVERNMENT
    )
    release = factories.SourceFactory(
        key="release",
        title="Cyberport press release",
        published_on=datetime.date(2024, 7, 1),
        retrieved_on=datetime.date(2025, 1, 2),
        url="https://example.org/release",
    )
    report = factories.SourceFactory(key="report", title="@ a news report", publisher="+News")
    aiss = factories.InitiativeFactory(
        slug="aiss",
        name="AI Subsidy Scheme",
        lead=government,
        announced_on=datetime.date(2023, 2, 22),
        target="mid-2025",
        summary="A scheme.\nOn two lines.",
    )
    aiss.partners.add(cyberport)
    aiss.topics.add(compute)

    def claim(key, **fields):
        made = factories.ClaimFactory(key=key, source=fields.pop("source", release), **fields)
        made.topics.add(compute)
        return made

    figure = {"kind": Claim.Kind.FIGURE, "initiative": aiss, "attribute": "budget", "unit": "HKD"}
    claim("budget-3bn", value=Decimal("3000000000"), as_of=datetime.date(2024, 7, 1), **figure)
    claim(
        "budget-3bn-again",
        source=report,
        value=Decimal("3000000000.000000"),
        as_of=datetime.date(2024, 7, 1),
        **figure,
    )
    claim(
        "budget-2bn",
        source=report,
        value=Decimal("2E+9"),
        as_of=datetime.date(2024, 7, 1),
        **figure,
    )
    claim(
        "change",
        kind=Claim.Kind.FIGURE,
        attribute="change",
        value=Decimal("-5"),
        unit="percent",
        statement="-5% on last year, says the report.",
        status=Claim.Status.DISPUTED,
        status_note="The report's own table says -4%.",
    )
    claim(
        "small",
        kind=Claim.Kind.FIGURE,
        attribute="share",
        value=Decimal("0.75"),
        precision=Claim.Precision.RANGE,
        value_high=Decimal("0.800"),
        unit="ratio",
    )
    draft = claim(
        "draft-claim", status=Claim.Status.DRAFT, confidence="", statement="=1+1 is a draft."
    )
    draft.organizations.add(cyberport, government)
    claim("in-review", status=Claim.Status.IN_REVIEW)
    retracted = claim("retracted", status=Claim.Status.RETRACTED, status_note="Misquoted.")
    claim("delighted", quote="\u201cWe are delighted\u201d", speaker="The chairman, Cyberport")
    retracted.contradicts.add(draft)
    Claim.objects.get(key="delighted").contradicts.add(Claim.objects.get(key="budget-3bn"))

    published = factories.BriefingFactory(
        slug="edition-1", title="First edition", edition_date=datetime.date(2025, 1, 31)
    )
    factories.SectionFactory(
        briefing=published, position=1, title="Money", body="Worth HK$3bn.[[budget-3bn]]"
    )
    factories.SectionFactory(briefing=published, position=2, title="Talk", body="[[delighted]]")
    publish(published)
    draft_briefing = factories.BriefingFactory(
        slug="edition-2", title="Second edition", edition_date=datetime.date(2025, 6, 30)
    )
    factories.SectionFactory(
        briefing=draft_briefing, position=1, title="Draft", body="[[in-review]]"
    )


def delete_everything():
    # Revisions and comments name their object by id, not by a foreign key: nothing cascades.
    ReviewComment.objects.all().delete()
    Revision.objects.all().delete()
    Briefing.objects.all().delete()
    Claim.objects.all().delete()
    Initiative.objects.all().delete()
    Source.objects.all().delete()
    Organization.objects.all().delete()
    Topic.objects.all().delete()


def round_trip(tmp_path):
    """Export a bundle, empty the database, import it and export again: assert the two exports
    are byte-identical, and return the first one's directory."""
    first, second = tmp_path / "first", tmp_path / "second"
    resources.export_bundle(first)
    delete_everything()
    report = resources.import_bundle(first)
    assert report.ok, [str(p) for p in report.problems]
    resources.export_bundle(second)
    for name, _ in resources.BUNDLE:
        assert (second / name).read_bytes() == (first / name).read_bytes(), name
    return first


def empty_database():
    """`flush`: every table emptied, users, groups and history included."""
    if connection.vendor == "postgresql":
        # Inside the test's transaction, PostgreSQL refuses to TRUNCATE a table with deferred
        # foreign-key checks still pending; run them now.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
