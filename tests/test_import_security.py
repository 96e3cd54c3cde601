"""
The admin's import, between its preview and its confirmation: the stored upload belongs to the
user who sent it, nothing else can be confirmed, uploads never confirmed do not pile up, and a
file refused at either step says why, as an error, with nothing imported.
"""

import os
import tempfile
import time

import pytest
from django.contrib.messages import constants
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from curation.limits import CSV_CELL
from curation.models import Claim, Topic
from tests import factories
from tests.helpers import claim_row, claims_csv

pytestmark = pytest.mark.django_db

TOPICS = b"slug,name,description\ncompute,Compute,\ntalent,Talent,\n"


@pytest.fixture
def upload_dir(settings):
    """Each test's own (tests/conftest.py)."""
    return settings.BRIEFING_IMPORT_UPLOAD_DIR


@pytest.fixture
def ann(db):
    client = Client()
    client.force_login(factories.editor(username="ann"))
    return client


@pytest.fixture
def bob(db):
    client = Client()
    client.force_login(factories.editor(username="bob"))
    return client


def preview(client, data=TOPICS, name="topics.csv", model="topic"):
    return client.post(
        reverse(f"admin:curation_{model}_import"),
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile(name, data)},
    )


def confirmation(response):
    form = response.context["confirm_form"]
    return {name: form.initial[name] for name in form.fields}


def confirm(client, fields, model="topic"):
    return client.post(reverse(f"admin:curation_{model}_process_import"), fields, follow=True)


def shown(response):
    return [(m.level, str(m)) for m in response.context["messages"]]


def stored(upload_dir):
    return sorted(os.listdir(upload_dir)) if upload_dir.exists() else []


def test_the_user_who_uploaded_a_file_confirms_it_and_its_upload_is_deleted(ann, upload_dir):
    response = preview(ann)
    assert len(stored(upload_dir)) == 1
    done = confirm(ann, confirmation(response))
    assert Topic.objects.count() == 2
    assert shown(done)[0][0] == constants.SUCCESS
    assert stored(upload_dir) == []


@pytest.fixture
def victim():
    """A CSV file sitting in the system's temporary directory, as other programs leave them."""
    handle, path = tempfile.mkstemp(suffix=".csv")
    with os.fdopen(handle, "wb") as file:
        file.write(TOPICS)
    yield path
    if os.path.exists(path):
        os.remove(path)


@pytest.mark.parametrize("form", ["name", "relative", "absolute"])
def test_a_forged_file_name_is_refused_and_the_file_it_names_is_untouched(
    ann, upload_dir, victim, form
):
    fields = confirmation(preview(ann))
    name = {
        "name": os.path.basename(victim),
        "relative": "../" + os.path.basename(victim),
        "absolute": victim,
    }[form]
    response = confirm(ann, {**fields, "import_file_name": name})
    assert not Topic.objects.exists()
    assert os.path.exists(victim)
    assert shown(response) == [
        (
            constants.ERROR,
            "This import cannot be confirmed: it is not a file you uploaded here. "
            "Upload the file again.",
        )
    ]


def test_another_users_upload_cannot_be_confirmed_and_stays_theirs(ann, bob, upload_dir):
    fields = confirmation(preview(ann))
    response = confirm(bob, fields)
    assert not Topic.objects.exists()
    assert shown(response)[0][0] == constants.ERROR
    assert "not a file you uploaded here" in shown(response)[0][1]
    assert len(stored(upload_dir)) == 1
    confirm(ann, fields)
    assert Topic.objects.count() == 2


def test_an_upload_is_confirmed_once(ann, upload_dir):
    fields = confirmation(preview(ann))
    confirm(ann, fields)
    Topic.objects.all().delete()
    again = confirm(ann, fields)
    assert not Topic.objects.exists()
    assert shown(again) == [
        (
            constants.ERROR,
            "This import was already confirmed or is more than 60 minutes old. "
            "Upload the file again.",
        )
    ]


def test_an_upload_never_confirmed_is_deleted_by_the_next_upload_after_the_max_age(
    ann, bob, upload_dir, settings
):
    settings.BRIEFING_IMPORT_UPLOAD_MAX_AGE = 60
    stale = confirmation(preview(ann))
    (old,) = stored(upload_dir)
    an_hour_ago = time.time() - 3600
    os.utime(upload_dir / old, (an_hour_ago, an_hour_ago))
    preview(bob)  # anyone's upload sweeps the directory: no cron needed
    assert old not in stored(upload_dir) and len(stored(upload_dir)) == 1
    response = confirm(ann, stale)
    assert not Topic.objects.exists()
    assert "already confirmed or is more than 1 minute old" in shown(response)[0][1]


def test_a_file_refused_at_confirmation_is_an_error_and_imports_nothing(editor_client, upload_dir):
    source = factories.SourceFactory(key="cyberport-release")
    data = claims_csv(
        claim_row(status="draft", confidence=""), claim_row("claim-b", status="draft")
    )
    fields = confirmation(preview(editor_client, data.encode(), "claims.csv", "claim"))
    # Between the preview and the confirmation, the source the claims quote is deleted.
    source.delete()
    response = confirm(editor_client, fields, "claim")
    assert not Claim.objects.exists()
    messages = shown(response)
    assert {level for level, _ in messages} == {constants.ERROR}
    assert messages[0][1] == (
        "claims.csv: 2 rows cannot be imported, so nothing was imported. "
        "Correct the file and try again."
    )
    assert (
        constants.ERROR,
        "claims.csv line 2, column source: unknown source 'cyberport-release': "
        "no source has this key.",
    ) in messages
    assert "Import finished" not in response.content.decode()


def test_a_cell_over_the_limit_is_refused_at_the_preview_with_the_reason(ann, upload_dir, settings):
    # A file this big is imported in the background (tests/test_background_import.py): here,
    # the preview's own refusal.
    settings.BRIEFING_BACKGROUND_IMPORT_BYTES = 20 * 1024 * 1024
    data = b"slug,name,description\ncompute,Compute,\n" + b'talent,Talent,"'
    data += b"x" * (CSV_CELL + 1) + b'"\n'
    response = preview(ann, data)
    content = response.content.decode()
    assert (
        f"topics.csv line 3: a cell is longer than {CSV_CELL:,} characters, the longest text "
        "any column holds." in content
    )
    assert "CsvFileError" not in content
    assert "Confirm import" not in content
    assert not Topic.objects.exists()
