"""
The admin's import page as editors meet it: files named by their labels, a refused file's
problems first with their line and column, a template per file, and a preview that fits 1280 px.
"""

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from curation import resources
from curation.models import Claim, Section
from tests import factories
from tests.helpers import COLUMNS, claim_row, claims_csv

pytestmark = pytest.mark.django_db

SEED = Path(settings.BASE_DIR) / "fixtures" / "hk-ai-ecosystem"

# Every admin that imports, and the files it imports, in the order it offers them.
IMPORTS = {
    "topic": [resources.TopicResource],
    "organization": [resources.OrganizationResource],
    "source": [resources.SourceResource],
    "initiative": [resources.InitiativeResource],
    "claim": [resources.ClaimResource, resources.ContradictionResource],
    "briefing": [resources.BriefingResource, resources.SectionResource],
}
FILES = [(model, index, r) for model, rs in IMPORTS.items() for index, r in enumerate(rs)]


def upload(client, model, name, data, resource="0"):
    return client.post(
        reverse(f"admin:curation_{model}_import"),
        {"resource": resource, "format": "0", "import_file": SimpleUploadedFile(name, data)},
    )


def confirm(client, model, preview):
    form = preview.context["confirm_form"]
    return client.post(
        reverse(f"admin:curation_{model}_process_import"),
        {name: form.initial[name] for name in form.fields},
        follow=True,
    )


def template_url(model, resource):
    return reverse(f"admin:curation_{model}_import_template", args=[resource.default_file_name()])


@pytest.fixture
def source():
    return factories.SourceFactory(key="cyberport-release")


# Labels ------------------------------------------------------------------------------------------


def test_the_import_page_offers_files_by_their_labels_not_class_names(
    admin_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        response = admin_client.get(reverse("admin:curation_claim_import"))
    content = response.content.decode()
    assert '<label for="id_resource">File type:</label>' in content
    assert '<option value="0">Claims</option>' in content
    assert '<option value="1">Contradictions</option>' in content
    assert "Resource" not in content


@pytest.mark.parametrize("model", list(IMPORTS))
def test_no_import_or_export_page_shows_a_class_name(
    admin_client, model, django_assert_max_num_queries
):
    for page in ("import", "export"):
        with django_assert_max_num_queries(8):
            response = admin_client.get(reverse(f"admin:curation_{model}_{page}"))
        assert response.status_code == 200
        assert "Resource" not in response.content.decode()


def test_the_message_after_an_import_names_the_file_imported(
    admin_client, source, django_assert_max_num_queries
):
    data = claims_csv(claim_row(status="in_review"), claim_row("claim-b", status="in_review"))
    preview = upload(admin_client, "claim", "claims-july.csv", data.encode())
    with django_assert_max_num_queries(60):
        response = confirm(admin_client, "claim", preview)
    assert "Claims imported: 2 new, 0 updated, 0 unchanged (skipped)." in (
        response.content.decode()
    )
    assert Claim.objects.count() == 2


def test_sections_imported_on_the_briefing_page_are_called_sections(
    admin_client, django_assert_max_num_queries
):
    factories.BriefingFactory(slug="edition")
    data = b"briefing,position,title,body\nedition,1,Compute,Text.\n"
    preview = upload(admin_client, "briefing", "sections.csv", data, resource="1")
    with django_assert_max_num_queries(40):
        response = confirm(admin_client, "briefing", preview)
    assert "Sections imported: 1 new, 0 updated, 0 unchanged (skipped)." in (
        response.content.decode()
    )
    assert Section.objects.count() == 1


# Errors ------------------------------------------------------------------------------------------


def test_every_problem_is_listed_first_with_its_line_and_column(
    admin_client, source, django_assert_max_num_queries
):
    data = claims_csv(
        claim_row(status="in_review"),
        claim_row("claim-b", kind="?", status="in_review"),
        claim_row("claim-c", as_of="x", status="in_review"),
    )
    with django_assert_max_num_queries(30):
        response = upload(admin_client, "claim", "claims.csv", data.encode())
    content = response.content.decode()
    assert b"Confirm import" not in response.content
    errors = content.index('<h2 id="import-problems-title">Errors</h2>')
    assert errors < content.index('enctype="multipart/form-data"')  # above the form
    assert "claims.csv: 2 rows cannot be imported, so nothing was imported." in content
    rows = [
        (row.line, row.column)
        for row in response.context["refusal"].problems  # what the table lists, in order
    ]
    assert rows == [(3, "kind"), (4, "as_of")]
    assert (
        '<td class="line">3</td>\n        <td><code>kind</code></td>\n'
        '        <td class="message">&#x27;?&#x27; is not a valid code' in content
    )
    assert '<td class="line">4</td>\n        <td><code>as_of</code></td>' in content
    assert "traceback" not in content  # the library's list, with the same problems, is not shown
    assert not Claim.objects.exists()


def test_a_header_problem_is_listed_at_line_one(admin_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        response = upload(admin_client, "topic", "topics.csv", b"slug,title\nx,X\n")
    content = response.content.decode()
    assert "topics.csv cannot be imported, so nothing was imported." in content  # not "1 row"
    assert '<td class="line">1</td>' in content
    assert "Unknown column title; missing columns name, description." in content


# Templates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "index", "resource"), FILES)
def test_each_file_has_a_template_of_its_columns_in_the_contracts_order(
    admin_client, model, index, resource, django_assert_max_num_queries
):
    page = admin_client.get(reverse(f"admin:curation_{model}_import"))
    assert f'href="{template_url(model, resource)}" download' in page.content.decode()
    with django_assert_max_num_queries(5):
        response = admin_client.get(template_url(model, resource))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    name = resource.default_file_name()
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    header = response.content.decode().removesuffix("\n").split(",")
    contract = COLUMNS[resource].split(",")
    # The contract's columns, in its order, less those an import ignores (export only, or the
    # briefings' backup stamps).
    assert header == [c for c in contract if c in header]
    assert header[0] == contract[0]
    ignored = set(contract) - set(header)
    assert ignored <= {"conflicts_with", "corroborated_by", "note", *resource.optional_columns}
    assert "anchor" in header or resource is not resources.SectionResource


@pytest.mark.parametrize(("model", "index", "resource"), FILES)
def test_a_template_goes_through_the_importer_as_zero_rows_and_no_error(
    admin_client, admin_user, model, index, resource
):
    data = admin_client.get(template_url(model, resource)).content
    name = resource.default_file_name()
    result = resource().import_data(resources.read_csv(data, name), file_name=name, user=admin_user)
    assert result.problems == []
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.total_rows == 0
    # Through the page too: no column is refused, there are just no rows yet.
    page = upload(admin_client, model, name, data, resource=str(index)).content.decode()
    assert "No valid data to import" in page
    assert "column" not in page.split('id="content"')[1].split("This importer")[0]


def test_a_template_of_a_file_the_page_does_not_import_is_not_found(admin_client):
    response = admin_client.get(
        reverse("admin:curation_topic_import_template", args=["claims.csv"])
    )
    assert response.status_code == 404


def test_only_users_who_may_import_get_a_template(client, django_assert_max_num_queries):
    client.force_login(factories.UserFactory(is_staff=True))
    with django_assert_max_num_queries(5):
        response = client.get(template_url("claim", resources.ClaimResource))
    assert response.status_code == 403


# The preview -------------------------------------------------------------------------------------


def load_seed_except_claims(tmp_path):
    for name in ("topics.csv", "organizations.csv", "sources.csv", "initiatives.csv"):
        shutil.copy(SEED / name, tmp_path / name)
    call_command("import_bundle", str(tmp_path), verbosity=0)


def test_the_seed_claims_preview_scrolls_in_its_own_labelled_box(
    reviewer_client, settings, tmp_path, django_assert_max_num_queries
):
    settings.BRIEFING_ALLOW_SELF_REVIEW = True  # the seed's claims are verified
    load_seed_except_claims(tmp_path)
    data = (SEED / "claims.csv").read_bytes()
    with django_assert_max_num_queries(40):
        response = upload(reviewer_client, "claim", "claims.csv", data)
    content = response.content.decode()
    assert "Confirm import" in content
    box = content.index('<div class="import-preview-box" role="region"')
    table = content.index('<table class="import-preview">', box)
    assert content.index("<caption>Each row of the file", table) > table
    assert content.count('<td class="import-type">New</td>') == len(resources.read_csv(data))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_seed_claims_preview_fits_1280_px(browser, live_server, settings, tmp_path):
    settings.BRIEFING_ALLOW_SELF_REVIEW = True
    load_seed_except_claims(tmp_path)
    user = factories.reviewer(username="rosa")
    user.set_password("a long passphrase for rosa")
    user.save()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    try:
        page = context.new_page()
        page.goto("/admin/login/")
        page.get_by_label("Username").fill("rosa")
        page.get_by_label("Password").fill("a long passphrase for rosa")
        page.get_by_role("button", name="Log in").click()
        page.goto(reverse("admin:curation_claim_import"))
        page.set_input_files("#id_import_file", str(SEED / "claims.csv"))
        page.get_by_role("button", name="Submit").click()
        page.wait_for_selector(".import-preview-box")
        # The page itself does not scroll sideways; the preview's box does.
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        box = page.locator(".import-preview-box")
        assert box.evaluate("e => e.scrollWidth > e.clientWidth")
        artifacts = Path(settings.BASE_DIR) / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        page.screenshot(path=str(artifacts / "import-preview-1280.png"))
    finally:
        context.close()
