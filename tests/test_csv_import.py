"""CSV import: matching by key, all-or-nothing, every bad row named, files as people save them."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curation import resources
from curation.models import Briefing, Claim, Organization, Source, Topic
from tests import factories
from tests.helpers import CLAIM_HEADER, claim_row, claims_csv, import_csv, problems

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    return factories.SourceFactory(key="cyberport-release")


# Matching by key --------------------------------------------------------------------------------


def test_it_creates_rows_then_skips_them_when_the_same_file_is_imported_again():
    data = "slug,name,description\ncompute,Compute,Chips and centres\ntalent,Talent,\n"
    first = import_csv(resources.TopicResource, data)
    assert (first.totals["new"], first.totals["skip"]) == (2, 0)
    second = import_csv(resources.TopicResource, data)
    assert (second.totals["new"], second.totals["update"], second.totals["skip"]) == (0, 0, 2)
    assert Topic.objects.count() == 2
    assert [row.import_type for row in second.rows] == ["skip", "skip"]


def test_a_changed_row_updates_the_row_with_that_key_instead_of_duplicating_it():
    factories.TopicFactory(slug="compute", name="Compute")
    result = import_csv(resources.TopicResource, "slug,name,description\ncompute,Computing,\n")
    assert result.totals["update"] == 1
    assert Topic.objects.get(slug="compute").name == "Computing"
    assert Topic.objects.count() == 1


def test_a_claim_with_relations_is_skipped_on_reimport(source):
    factories.TopicFactory(slug="compute")
    factories.OrganizationFactory(slug="cyberport")
    factories.InitiativeFactory(slug="aiss")
    data = claims_csv(
        claim_row(initiative="aiss", organizations="cyberport", topics="compute"),
        claim_row("claim-b", kind="fact", attribute="", value="", unit="", as_of=""),
    )
    assert import_csv(resources.ClaimResource, data).totals["new"] == 2
    again = import_csv(resources.ClaimResource, data)
    assert again.totals["skip"] == 2, problems(again)
    claim = Claim.objects.get(key="claim-a")
    assert claim.value == Decimal("3000000000")
    assert [t.slug for t in claim.topics.all()] == ["compute"]
    assert claim.initiative.slug == "aiss"
    assert claim.quote_start is not None


def test_a_changed_list_of_topics_updates_the_claim(source):
    factories.TopicFactory(slug="compute")
    factories.TopicFactory(slug="talent")
    import_csv(resources.ClaimResource, claims_csv(claim_row(topics="compute")))
    result = import_csv(resources.ClaimResource, claims_csv(claim_row(topics="talent;compute")))
    assert result.totals["update"] == 1
    claim = Claim.objects.get(key="claim-a")
    assert sorted(t.slug for t in claim.topics.all()) == ["compute", "talent"]


def test_reimport_loads_each_referenced_row_once_not_once_per_row(source):
    rows = [claim_row(f"claim-{n}") for n in range(30)]
    data = claims_csv(*rows)
    import_csv(resources.ClaimResource, data)
    with CaptureQueriesContext(connection) as queries:
        result = import_csv(resources.ClaimResource, data)
    assert result.totals["skip"] == 30
    # Unchanged rows are compared against rows loaded once per file: the claims, their
    # organisations and topics, the one source. (The library wraps each row in a savepoint.)
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(reads) == 4, reads


# One bad row among good ones ---------------------------------------------------------------------


def assert_nothing_imported():
    assert not Claim.objects.exists()


def test_a_quote_not_in_the_source_names_the_claim_line_column_and_nearest_passage(source):
    data = claims_csv(
        claim_row("claim-good"),
        claim_row("claim-bad", quote="its AI Subsidy Scheme, worth HK$5 billion"),
    )
    result = import_csv(resources.ClaimResource, data)
    assert_nothing_imported()
    [problem] = result.problems
    assert (problem.line, problem.column) == (3, "quote")
    assert "'claim-bad'" in problem.message
    assert "Nearest passage" in problem.message
    assert "worth HK$3 billion" in problem.message


def test_an_unknown_reference_is_an_error_on_its_column(source):
    data = claims_csv(
        claim_row("claim-good"),
        claim_row("claim-bad", source="no-such-source"),
        claim_row("claim-bad-topic", topics="compute;nowhere"),
    )
    result = import_csv(resources.ClaimResource, data)
    assert_nothing_imported()
    assert problems(result) == [
        "claims.csv line 3, column source: unknown source 'no-such-source': no source has "
        "this key.",
        "claims.csv line 4, column topics: unknown topics 'compute', 'nowhere': no topic has "
        "this slug.",
    ]


def test_a_bad_code_lists_the_valid_codes(source):
    result = import_csv(
        resources.ClaimResource, claims_csv(claim_row(), claim_row("claim-b", kind="Figure"))
    )
    assert_nothing_imported()
    assert problems(result) == [
        "claims.csv line 3, column kind: 'Figure' is not a valid code; use one of: fact, "
        "figure, forecast, quotation."
    ]


@pytest.mark.parametrize("value", ["3,000,000,000", "HK$3bn", "3E+9", "three"])
def test_a_bad_number_is_refused_not_guessed(source, value):
    result = import_csv(
        resources.ClaimResource, claims_csv(claim_row(), claim_row("claim-b", value=value))
    )
    assert_nothing_imported()
    [problem] = result.problems
    assert (problem.line, problem.column) == (3, "value")
    assert "not a plain number" in problem.message


@pytest.mark.parametrize(
    "as_of, reason", [("31/12/2024", "YYYY-MM-DD"), ("2024-02-30", "not a real date")]
)
def test_a_bad_date_is_refused(source, as_of, reason):
    result = import_csv(
        resources.ClaimResource, claims_csv(claim_row(), claim_row("claim-b", as_of=as_of))
    )
    assert_nothing_imported()
    [problem] = result.problems
    assert (problem.line, problem.column) == (3, "as_of")
    assert reason in problem.message


def test_an_unknown_column_is_refused_with_the_expected_columns(source):
    data = claims_csv(claim_row()).replace("status_note", "notes", 1)
    result = import_csv(resources.ClaimResource, data)
    assert_nothing_imported()
    [problem] = problems(result)
    assert problem.startswith(
        "claims.csv line 1: Unknown column notes; missing column status_note."
    )
    assert CLAIM_HEADER.replace(",", ", ") in problem


def test_a_missing_column_is_refused():
    result = import_csv(resources.TopicResource, "slug,name\ncompute,Compute\n")
    assert not Topic.objects.exists()
    assert problems(result) == [
        "topics.csv line 1: Missing column description. The columns must be, in any order: "
        "slug, name, description."
    ]


def test_the_derived_columns_of_an_export_are_accepted_and_ignored(source):
    data = (
        claims_csv(claim_row())
        .replace("status_note\n", "status_note,conflicts_with,corroborated_by\n")
        .replace("verified,\n", "verified,,invented-key,other-key\n")
    )
    result = import_csv(resources.ClaimResource, data)
    assert result.totals["new"] == 1, problems(result)


def test_every_bad_row_is_reported_with_its_line_counting_multiline_cells(source):
    data = claims_csv(
        claim_row("claim-a", statement="A statement\nover two lines."),
        claim_row("claim-b", kind="nonsense"),
        claim_row("claim-c", statement="Three\nmore\nlines."),
        claim_row("claim-d", as_of="yesterday", source="nope"),
    )
    result = import_csv(resources.ClaimResource, data)
    assert_nothing_imported()
    assert [(p.line, p.column) for p in result.problems] == [
        (4, "kind"),
        (8, "source"),
        (8, "as_of"),
    ]


def test_a_key_repeated_in_the_file_is_an_error_naming_the_first_line(source):
    result = import_csv(resources.ClaimResource, claims_csv(claim_row(), claim_row()))
    assert_nothing_imported()
    assert problems(result) == [
        "claims.csv line 3, column key: key 'claim-a' is also on line 2: each row must have "
        "its own."
    ]


def test_model_rules_are_errors_too(source):
    result = import_csv(
        resources.ClaimResource,
        claims_csv(claim_row(status="disputed"), claim_row("claim-b", attribute="")),
    )
    assert_nothing_imported()
    assert [(p.line, p.column) for p in result.problems] == [(2, "status_note"), (3, "attribute")]


def test_a_row_with_more_cells_than_columns_is_an_error():
    result = import_csv(
        resources.TopicResource, "slug,name,description\ncompute,Compute,,extra\ntalent,T,\n"
    )
    assert not Topic.objects.exists()
    assert problems(result) == [
        "topics.csv line 2: this row has 4 cells but the header has 3 columns"
    ]


# Files as people save them ----------------------------------------------------------------------


def test_a_file_with_bom_crlf_and_quoted_multiline_cells_imports():
    data = (
        "\ufeffslug,name,description\r\n"
        'compute,Compute,"Chips,\r\ncentres and ""clouds"""\r\n'
        "\r\n"
        "talent,Talent,\r\n"
    ).encode()
    result = import_csv(resources.TopicResource, data)
    assert result.totals["new"] == 2, problems(result)
    # Line ends inside a cell are stored as LF, as every text is (curation/fields.py).
    assert Topic.objects.get(slug="compute").description == 'Chips,\ncentres and "clouds"'


def test_an_unclosed_quote_is_refused_at_the_line_where_the_cell_opens():
    data = (
        b"slug,name,description\n"
        b"compute,Compute,fine\n"
        b'talent,"Talent,\nover two lines",then\n'
        b'robots,"Ro\nbots","never closed\n'
        b"ethics,Ethics,swallowed\n"
        b"chips,Chips,swallowed too\n"
    )
    with pytest.raises(resources.CsvFileError) as error:
        resources.read_csv(data, "topics.csv")
    message = str(error.value)
    assert message.startswith("topics.csv line 6: the quoted cell that begins on this line")
    assert "is never closed" in message
    assert not Topic.objects.exists()


def test_text_after_a_closing_quote_is_refused_not_glued_on():
    data = b'slug,name,description\ncompute,"Com"pute,\n'
    with pytest.raises(resources.CsvFileError) as error:
        resources.read_csv(data, "topics.csv")
    assert str(error.value).startswith("topics.csv line 2: a quoted cell has text after")


def test_cells_longer_than_the_old_csv_limit_are_read():
    # Python's csv stops at 131,072 characters by default; the product saves far longer texts.
    body = "x" * 1_000_000
    dataset = resources.read_csv(f'slug,name,description\ncompute,C,"{body}"\n'.encode())
    assert dataset["description"] == [body]


def test_a_file_that_is_not_utf8_is_refused_clearly():
    data = "slug,name,description\ncaf\u00e9,Caf\u00e9,\n".encode("latin-1")
    with pytest.raises(resources.CsvFileError) as error:
        resources.read_csv(data, "topics.csv")
    assert str(error.value).startswith("topics.csv is not valid UTF-8 (byte 0xe9 on line 2).")


def test_a_file_over_the_size_limit_is_refused_clearly(settings):
    settings.BRIEFING_IMPORT_MAX_BYTES = 20
    with pytest.raises(
        resources.CsvFileError, match="topics.csv is 34 bytes; files of at most 20 bytes"
    ):
        resources.read_csv(b"slug,name,description\ncompute,C,\n\n", "topics.csv")


def test_an_empty_file_is_refused_clearly():
    with pytest.raises(resources.CsvFileError, match="needs a header row"):
        resources.read_csv(b"", "topics.csv")


# Formula safety ---------------------------------------------------------------------------------


def test_the_apostrophe_that_neutralised_a_formula_is_removed_on_import(source):
    data = claims_csv(
        claim_row(statement='\'=HYPERLINK("http://x")', value="'-5", attribute="change"),
        claim_row("claim-b", statement="'Quoted' words stay as they are."),
        claim_row("claim-c", statement="''+1 keeps one apostrophe."),
    )
    result = import_csv(resources.ClaimResource, data)
    assert result.totals["new"] == 3, problems(result)
    claim = Claim.objects.get(key="claim-a")
    assert claim.statement == '=HYPERLINK("http://x")'
    assert claim.value == Decimal("-5")
    assert Claim.objects.get(key="claim-b").statement == "'Quoted' words stay as they are."
    assert Claim.objects.get(key="claim-c").statement == "'+1 keeps one apostrophe."


# Other files of a bundle ------------------------------------------------------------------------


def test_aliases_are_normalised_by_the_model():
    import_csv(
        resources.OrganizationResource,
        "slug,name,kind,aliases,website,description\n"
        "cyberport,Cyberport,public_body, HK Cyberport ;;Cyberport Ltd,https://cyberport.hk,\n",
    )
    assert Organization.objects.get().alias_list == ["HK Cyberport", "Cyberport Ltd"]


def test_a_published_briefing_is_published_only_if_its_citations_are_public():
    draft = factories.ClaimFactory(key="draft-claim", status=Claim.Status.DRAFT)
    briefing = factories.BriefingFactory(slug="edition")
    factories.SectionFactory(briefing=briefing, body=f"Says so.[[{draft.key}]]")
    data = "slug,title,edition_date,standfirst,status\nedition,Edition,2025-01-01,,published\n"
    result = import_csv(resources.BriefingResource, data)
    assert problems(result) == [
        "briefings.csv line 2, column status: 'Edition' cannot be published: it cites claims "
        "that are not verified or disputed: draft-claim"
    ]
    briefing.refresh_from_db()
    assert briefing.status == Briefing.Status.DRAFT
    assert briefing.title != "Edition"  # the whole file was refused
    draft.status = Claim.Status.VERIFIED
    draft.save()
    result = import_csv(resources.BriefingResource, data)
    assert result.totals["update"] == 1, problems(result)
    briefing.refresh_from_db()
    assert briefing.status == Briefing.Status.PUBLISHED
    assert briefing.published_at is not None


def test_contradictions_link_both_ways_and_a_reversed_pair_is_the_same_pair():
    a = factories.ClaimFactory(key="a")
    b = factories.ClaimFactory(key="b")
    data = "claim,contradicts,note\nb,a,They disagree on the year.\n"
    assert import_csv(resources.ContradictionResource, data).totals["new"] == 1
    assert list(a.contradicts.all()) == [b]
    assert list(b.contradicts.all()) == [a]
    again = import_csv(resources.ContradictionResource, "claim,contradicts\na,b\n")
    assert again.totals["skip"] == 1, problems(again)


def test_a_claim_cannot_contradict_itself():
    factories.ClaimFactory(key="a")
    result = import_csv(resources.ContradictionResource, "claim,contradicts,note\na,a,\n")
    assert problems(result) == [
        "contradictions.csv line 2, column contradicts: A claim cannot contradict itself."
    ]


def test_sections_are_matched_by_briefing_and_position():
    briefing = factories.BriefingFactory(slug="edition")
    factories.SectionFactory(briefing=briefing, position=1, title="Old")
    data = "briefing,position,title,body\nedition,1,New,Text.\nedition,2,Second,More.\n"
    result = import_csv(resources.SectionResource, data)
    assert (result.totals["update"], result.totals["new"]) == (1, 1), problems(result)
    assert [s.title for s in briefing.sections.order_by("position")] == ["New", "Second"]


# The library's own command ----------------------------------------------------------------------


def test_the_librarys_import_command_imports_a_claims_file(source, tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text(claims_csv(claim_row(), claim_row("claim-b")), encoding="utf-8")
    call_command("import", "curation.resources.ClaimResource", str(path), "--no-input")
    assert Claim.objects.count() == 2


def test_the_librarys_import_command_refuses_a_bad_file_and_imports_nothing(
    source, tmp_path, capsys
):
    path = tmp_path / "claims.csv"
    path.write_bytes(
        ("\ufeff" + claims_csv(claim_row(), claim_row("claim-b", value="lots"))).encode()
    )
    with pytest.raises(SystemExit) as exit_:
        call_command("import", "curation.resources.ClaimResource", str(path), "--no-input")
    assert exit_.value.code == 1
    assert_nothing_imported()
    assert "claims.csv line 3, column value: 'lots' is not a plain number" in (
        capsys.readouterr().err
    )


# The admin ----------------------------------------------------------------------------------------


def upload(client, model, name, data, resource="0"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse(f"admin:curation_{model}_import"),
        {"resource": resource, "format": "0", "import_file": SimpleUploadedFile(name, data)},
    )


def test_the_admin_import_previews_then_imports_on_confirmation(admin_client, admin_user, source):
    # In review: an importer may not verify claims they bring in themselves (self-review).
    data = claims_csv(claim_row(status="in_review"), claim_row("claim-b", status="in_review"))
    data = data.encode()
    preview = upload(admin_client, "claim", "claims-july.csv", data)
    assert preview.status_code == 200
    assert b"Confirm import" in preview.content
    assert b"claim-b" in preview.content
    assert_nothing_imported()  # the preview is a dry run
    confirm = preview.context["confirm_form"]
    response = admin_client.post(
        reverse("admin:curation_claim_process_import"),
        {name: confirm.initial[name] for name in confirm.fields},
    )
    assert response.status_code == 302
    assert Claim.objects.count() == 2
    # Imported claims carry who imported them, and so do their history records.
    assert Claim.objects.get(key="claim-a").created_by is not None
    assert [r.history_user for r in Claim.history.all()] == [admin_user, admin_user]
    assert {r.history_change_reason for r in Claim.history.all()} == {
        "Imported from claims-july.csv"
    }


def test_the_admin_import_lists_every_bad_row_and_offers_no_confirmation(admin_client, source):
    data = claims_csv(
        claim_row(status="in_review"),
        claim_row("claim-b", kind="?", status="in_review"),
        claim_row("claim-c", as_of="x", status="in_review"),
    )
    response = upload(admin_client, "claim", "claims.csv", data.encode())
    assert response.status_code == 200
    assert b"Confirm import" not in response.content
    content = response.content.decode()
    assert "claims.csv: 2 rows cannot be imported, so nothing was imported." in content
    # A table of line, column and reason (tests/test_import_pages.py).
    assert [str(p) for p in response.context["refusal"].problems] == [
        "claims.csv line 3, column kind: '?' is not a valid code; use one of: fact, figure, "
        "forecast, quotation.",
        "claims.csv line 4, column as_of: 'x' is not a date: write dates as YYYY-MM-DD "
        "(2025-07-31).",
    ]
    assert "&#x27;?&#x27; is not a valid code" in content
    assert "&#x27;x&#x27; is not a date" in content
    assert_nothing_imported()


def test_the_admin_refuses_a_file_that_is_not_utf8_with_a_clear_message(admin_client):
    response = upload(
        admin_client, "topic", "topics.csv", "slug,name\nx,Caf\u00e9\n".encode("cp1252")
    )
    assert response.status_code == 200
    assert "topics.csv is not valid UTF-8" in response.content.decode()
    assert not Topic.objects.exists()


def test_the_admin_refuses_a_file_over_the_size_limit(admin_client, settings):
    settings.BRIEFING_IMPORT_MAX_BYTES = 10
    response = upload(admin_client, "topic", "topics.csv", b"slug,name,description\n")
    assert "files of at most 10 bytes can be imported" in response.content.decode()


def test_an_editor_cannot_verify_claims_by_importing_them(editor_client, source):
    response = upload(editor_client, "claim", "claims.csv", claims_csv(claim_row()).encode())
    assert response.status_code == 200
    assert "Only reviewers can mark a claim verified" in response.content.decode()
    ok = upload(
        editor_client,
        "claim",
        "claims.csv",
        claims_csv(claim_row(status="draft", confidence="")).encode(),
    )
    assert b"Confirm import" in ok.content


def test_the_briefing_admin_imports_sections_too(admin_client):
    factories.BriefingFactory(slug="edition")
    data = b"briefing,position,title,body\nedition,1,Compute,Text.\n"
    response = upload(admin_client, "briefing", "sections.csv", data, resource="1")
    assert b"Confirm import" in response.content


def test_the_source_admin_keeps_history_and_import_export(admin_client):
    source = factories.SourceFactory()
    changelist = admin_client.get(reverse("admin:curation_source_changelist"))
    content = changelist.content.decode()
    assert reverse("admin:curation_source_import") in content
    assert reverse("admin:curation_source_export") in content
    history = admin_client.get(reverse("admin:curation_source_history", args=[source.pk]))
    assert history.status_code == 200
    record = source.history.first()
    revert = admin_client.get(
        reverse("admin:curation_source_simple_history", args=[source.pk, record.history_id])
    )
    assert revert.status_code == 200


def test_source_text_round_trips_through_the_source_resource():
    text = "Line one.\nLine two,\twith a tab.\n  Indented \u201cquote\u201d."
    factories.SourceFactory(key="s", text=text.replace("\n", "\r\n", 1))  # stored with LF
    exported = "".join(resources.csv_lines(resources.SourceResource().export_rows()))
    Source.objects.all().delete()
    result = import_csv(resources.SourceResource, exported)
    assert result.totals["new"] == 1, problems(result)
    assert Source.objects.get().text == text


def test_each_imported_row_gets_one_history_record_with_its_links(source):
    factories.TopicFactory(slug="compute")
    factories.OrganizationFactory(slug="cyberport")
    import_csv(
        resources.ClaimResource,
        claims_csv(claim_row(organizations="cyberport", topics="compute")),
    )
    claim = Claim.objects.get(key="claim-a")
    [record] = claim.history.all()
    assert record.history_type == "+"
    assert [link.topic.slug for link in record.topics.all()] == ["compute"]
    assert [link.organization.slug for link in record.organizations.all()] == ["cyberport"]
    import_csv(resources.ClaimResource, claims_csv(claim_row(organizations="", topics="compute")))
    latest, first = claim.history.all()
    assert (latest.history_type, first.history_type) == ("~", "+")
    assert not latest.organizations.exists()
    assert [link.organization.slug for link in first.organizations.all()] == ["cyberport"]


def test_each_history_record_of_an_import_is_its_row_as_saved(source, monkeypatch):
    # Chunks of 2 rows; several values, links and empty cells; new rows and a changed one.
    monkeypatch.setattr(resources.ClaimResource._meta, "batch_size", 2)
    for slug in ("compute", "talent"):
        factories.TopicFactory(slug=slug)
    factories.OrganizationFactory(slug="cyberport")
    import_csv(resources.ClaimResource, claims_csv(claim_row("claim-old", topics="talent")))
    rows = [
        claim_row("claim-a", topics="compute;talent", organizations="cyberport"),
        claim_row("claim-b", value="", unit="", as_of="", attribute="", kind="fact"),
        claim_row("claim-c", topics="talent", status="in_review", value="12.5"),
        claim_row("claim-old", topics="compute", status_note="Changed."),
    ]
    result = import_csv(resources.ClaimResource, claims_csv(*rows))
    assert result.totals["new"] == 3 and result.totals["update"] == 1, problems(result)
    tracked = [f.attname for f in Claim.history.model.tracked_fields]
    for claim in Claim.objects.all():
        record = claim.history.first()
        assert record.history_type == ("~" if claim.key == "claim-old" else "+")
        assert record.history_change_reason == "Imported from claims.csv"
        assert record.history_date >= claim.updated_at
        assert [getattr(record, n) for n in tracked] == [getattr(claim, n) for n in tracked]
        assert sorted(link.topic.slug for link in record.topics.all()) == sorted(
            t.slug for t in claim.topics.all()
        )
        assert sorted(link.organization_id for link in record.organizations.all()) == sorted(
            o.pk for o in claim.organizations.all()
        )
    assert Claim.history.count() == 5
    assert [link.topic.slug for link in Claim.history.earliest("history_id").topics.all()] == [
        "talent"
    ]
