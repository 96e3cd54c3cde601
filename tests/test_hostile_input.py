"""
Hostile and broken input is refused clearly or rendered inert, wherever it comes in.

What tests/test_public_*.py already show (script in a claim's or organisation's fields on the
public pages, a `javascript:` Markdown link) is not repeated; this module adds every text field
of every model on every public page and in the admin, `data:` and disguised URLs, CSV bombs,
binary garbage and wrong encodings, path characters in keys, and property-based imports.

Each test fails if its protection is removed: the HTML checks parse the page and look for live
script (a <script> without a file, an on* attribute, a javascript:/data: link), which is what
an escaping or sanitising bug would produce.
"""

import codecs
import csv
import datetime
import io
import tracemalloc
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from curation import limits, resources
from curation.models import Briefing, Claim, Initiative, Organization, Section, Source, Topic
from curation.publishing import publish
from tests import factories as f
from tests.forms import admin_form

pytestmark = pytest.mark.django_db

PAYLOAD = (
    '<script>alert("x")</script><img src=x onerror="alert(1)">'
    '<svg onload=alert(2)><a href="javascript:alert(3)">x</a>\'"><iframe src=javascript:1>'
)
SHORT = "<svg onload=x>"  # for fields of 14 to 40 characters
MODELS = [Topic, Organization, Source, Initiative, Claim, Briefing, Section]
DANGEROUS_SCHEMES = ("javascript:", "data:", "vbscript:")


# Reading a page as a browser would --------------------------------------------------------------


class LiveScriptFinder(HTMLParser):
    """Everything in a page that a browser would run or that could carry script."""

    URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "srcdoc"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self._script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            compact = "".join((value or "").split()).lower()
            # base.html's empty favicon (`data:,`) is ours and empty.
            if (
                name in self.URL_ATTRIBUTES
                and compact.startswith(DANGEROUS_SCHEMES)
                and not (tag == "link" and compact == "data:,")
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag in {"iframe", "object", "embed", "base", "frame"}:
            self.problems.append(f"<{tag}>")
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        if tag == "script":
            # Data, which browsers never run: json_script's and JSON-LD's. Text that closed the
            # element early would show here as the tags that follow it.
            inert = (attrs.get("type") or "").lower() in {"application/json", "application/ld+json"}
            if not inert and not (attrs.get("src") or "").startswith(("/static/", "/admin/")):
                self.problems.append(f"<script {attrs}>")
            self._script = None if inert else ""

    def handle_data(self, data):
        if self._script is not None:
            self._script += data

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            if "alert" in self._script:
                self.problems.append(f"script content {self._script[:80]!r}")
            self._script = None


def live_script(html):
    finder = LiveScriptFinder()
    finder.feed(html)
    return finder.problems


def test_the_checker_finds_live_script():
    """The HTML checks below are only as good as this: they see what a browser would run."""
    assert live_script(PAYLOAD)
    assert live_script('<a href=" JaVa\tScRiPt:alert(1)">x</a>')
    assert live_script('<a href="data:text/html,x">x</a>')
    assert not live_script("&lt;script&gt;alert(1)&lt;/script&gt; <a href='https://x.org/'>x</a>")


# Every text field of every model --------------------------------------------------------------


def hostile_value(field):
    if isinstance(field, models.URLField | models.SlugField) or field.choices:
        return None
    if not isinstance(field, models.CharField | models.TextField) or not field.editable:
        return None
    if field.max_length is None or field.max_length >= len(PAYLOAD):
        return PAYLOAD
    return SHORT if field.max_length >= len(SHORT) else None


def hostile_fields(model, **extra):
    """Every free-text field of `model` set to the payload (as long as it fits)."""
    values = {}
    for field in model._meta.concrete_fields:
        value = hostile_value(field)
        if value is not None:
            values[field.name] = value
    values.update(extra)
    return values


def test_every_model_has_hostile_text_fields():
    for model in MODELS:
        assert hostile_fields(model), model


@pytest.fixture
def hostile_content():
    topic = f.TopicFactory(slug="hostile-topic", **hostile_fields(Topic))
    organization = f.OrganizationFactory(
        slug="hostile-org",
        **hostile_fields(Organization, website="https://example.org/", aliases=PAYLOAD),
    )
    source = f.SourceFactory(
        key="hostile-source",
        **hostile_fields(Source, text=f"Before. {PAYLOAD} After.", language="en"),
    )
    initiative = f.InitiativeFactory(
        slug="hostile-initiative", lead=organization, **hostile_fields(Initiative)
    )
    initiative.partners.add(organization)
    initiative.topics.add(topic)
    fields = hostile_fields(
        Claim, quote=PAYLOAD, status=Claim.Status.DISPUTED, kind=Claim.Kind.FIGURE
    )
    fields.update(attribute=SHORT, value=Decimal("5"), unit=SHORT, as_of=datetime.date(2025, 1, 1))
    claim = f.ClaimFactory(key="hostile-claim", source=source, initiative=initiative, **fields)
    claim.organizations.add(organization)
    claim.topics.add(topic)
    other = f.ClaimFactory(
        key="hostile-other",
        source=source,
        quote=PAYLOAD,
        initiative=initiative,
        kind=Claim.Kind.FIGURE,
        attribute=SHORT,
        value=Decimal("6"),
        unit=SHORT,
        as_of=datetime.date(2025, 1, 1),
        statement=PAYLOAD,
    )
    other.organizations.add(organization)
    briefing = f.BriefingFactory(slug="hostile-briefing", **hostile_fields(Briefing))
    f.SectionFactory(
        briefing=briefing,
        **hostile_fields(Section, body=PAYLOAD + " [[hostile-claim]] [[hostile-other]]"),
    )
    publish(briefing)
    return {
        "topic": topic,
        "organization": organization,
        "source": source,
        "initiative": initiative,
        "claim": claim,
        "briefing": briefing,
    }


def public_urls(content):
    return [
        "/",
        reverse("briefing:briefing-list"),
        content["briefing"].get_absolute_url(),
        reverse("briefing:claim-list"),
        reverse("briefing:claim-list") + "?topic=hostile-topic",
        content["claim"].get_absolute_url(),
        reverse("briefing:source-list"),
        content["source"].get_absolute_url(),
        reverse("briefing:initiative-list"),
        content["initiative"].get_absolute_url(),
        reverse("briefing:organization-list"),
        content["organization"].get_absolute_url(),
        reverse("briefing:search") + "?q=script",
        reverse("briefing:data"),
    ]


def test_every_text_field_is_inert_on_every_public_page(client, hostile_content):
    for url in public_urls(hostile_content):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "alert(" in html or url == reverse("briefing:data"), url  # the text is shown
        assert live_script(html) == [], url


def test_every_text_field_is_inert_in_the_admin(reviewer_client, hostile_content):
    urls = []
    for name, obj in hostile_content.items():
        urls.append(reverse(f"admin:curation_{name}_changelist"))
        urls.append(reverse(f"admin:curation_{name}_change", args=[obj.pk]))
        urls.append(reverse(f"admin:curation_{name}_history", args=[obj.pk]))
    urls.append(reverse("admin:curation_claim_changelist") + "?q=script")
    for url in urls:
        response = reviewer_client.get(url)
        assert response.status_code == 200, url
        assert live_script(response.content.decode()) == [], url


def test_a_deleted_hostile_row_is_inert_on_the_recovery_pages(reviewer_client, hostile_content):
    from curation.recovery import deleted

    claim = hostile_content["claim"]
    Section.objects.all().delete()  # no longer cited
    claim.delete()
    record = deleted(Claim).get()
    for url in (
        reverse("admin:curation_claim_recover_list"),
        reverse("admin:curation_claim_recover", args=[record.history_id]),
    ):
        response = reviewer_client.get(url)
        assert response.status_code == 200
        assert live_script(response.content.decode()) == [], url


# URLs -------------------------------------------------------------------------------------------

BAD_URLS = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "//evil.example/",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_script_url_is_refused_as_a_source_url_or_website(url):
    source = f.SourceFactory.build(key="s", url=url)
    with pytest.raises(ValidationError) as error:
        source.full_clean()
    assert "url" in error.value.message_dict
    organization = f.OrganizationFactory.build(slug="o", website=url)
    with pytest.raises(ValidationError) as error:
        organization.full_clean()
    assert "website" in error.value.message_dict


@pytest.mark.parametrize("url", BAD_URLS[:4])
def test_a_script_url_is_refused_by_import(url):
    data = "slug,name,kind,aliases,website,description\n" + f'o,O,other,,"{url}",\n'
    result = resources.OrganizationResource().import_data(resources.read_csv(data.encode()))
    assert [(p.line, p.column) for p in result.problems] == [(2, "website")]
    assert not Organization.objects.exists()


def test_a_script_url_is_refused_by_the_admin(reviewer_client):
    from tests.forms import admin_form

    organization = f.OrganizationFactory(website="https://example.org/")
    url = reverse("admin:curation_organization_change", args=[organization.pk])
    response = reviewer_client.post(
        url, admin_form(reviewer_client, url, website="javascript:alert(1)")
    )
    assert response.status_code == 200
    assert "Enter a valid URL." in response.content.decode()
    organization.refresh_from_db()
    assert organization.website == "https://example.org/"


@pytest.mark.parametrize(
    "markdown",
    [
        "[click](javascript:alert(1))",
        "[click](JAVASCRIPT:alert(1))",
        "[click](java&#x09;script:alert(1))",
        "[click](&#106;avascript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "![pixel](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
        "![pixel](javascript:alert(1))",
        "[ref][r]\n\n[r]: javascript:alert(1)",
        "<a href='data:text/html,x'>x</a>",
        "<img src=x onerror=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        '<a href="#" onclick="alert(1)">x</a>',
        "<iframe src='https://evil.example'></iframe>",
        "<form action='javascript:alert(1)'><button>x</button></form>",
    ],
)
def test_script_in_markdown_links_and_images_is_rendered_inert(client, markdown):
    f.ClaimFactory(key="fund")
    briefing = f.BriefingFactory(slug="b")
    f.SectionFactory(briefing=briefing, body=f"Before. {markdown} After.[[fund]]")
    publish(briefing)

    html = client.get(briefing.get_absolute_url()).content.decode()

    assert "Before." in html
    assert live_script(html) == []
    assert "<img" not in html
    assert html.count("<form") == 1  # the site's own search form, and no other


# Keys and slugs with path characters ------------------------------------------------------------

PATH_KEYS = ["../x", "a/b", "%2e%2e", "..", "a\\b", "x?y=1", "#frag", "a b", "..%2fx"]


@pytest.mark.parametrize("key", PATH_KEYS)
def test_a_key_with_path_characters_is_refused_by_validation(key):
    claim = f.ClaimFactory.build(key=key, source=f.SourceFactory())
    with pytest.raises(ValidationError) as error:
        claim.full_clean()
    assert "key" in error.value.message_dict
    topic = Topic(slug=key, name="T")
    with pytest.raises(ValidationError) as error:
        topic.full_clean()
    assert "slug" in error.value.message_dict


@pytest.mark.parametrize("key", PATH_KEYS)
def test_a_key_with_path_characters_is_refused_by_import(key):
    f.SourceFactory(key="cyberport-release")
    row = [key, "A statement.", "cyberport-release", "its AI Subsidy Scheme, worth HK$3 billion"]
    row += [""] * 14
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(resources.ClaimResource.columns())
    writer.writerow(row)
    dataset = resources.read_csv(buffer.getvalue().encode())
    result = resources.ClaimResource().import_data(dataset)
    assert ("key" in [p.column for p in result.problems]) or any(
        "key" in str(p) for p in result.problems
    ), [str(p) for p in result.problems]
    assert not Claim.objects.exists()
    topics = resources.read_csv(f'slug,name,description\n"{key}",T,\n'.encode())
    assert resources.TopicResource().import_data(topics).problems
    assert not Topic.objects.exists()


def test_a_path_in_a_public_url_finds_nothing(client):
    f.ClaimFactory(key="x")
    for url in ("/claims/../x/", "/claims/a/b/", "/claims/%2e%2e/", "/sources/..%2fx/"):
        assert client.get(url).status_code == 404, url


# CSV bombs, garbage and encodings -----------------------------------------------------------------


def peak_memory(function, *args):
    """Run function(*args); return (its result or exception, the peak bytes it allocated)."""
    tracemalloc.start()
    try:
        try:
            outcome = function(*args)
        except Exception as error:
            outcome = error
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_huge_file_is_refused_before_it_is_read(tmp_path, settings):
    # 8 GB, written as a sparse file: nothing is written and nothing must be read.
    path = tmp_path / "claims.csv"
    with open(path, "wb") as file:
        file.truncate(8 * 1024**3)

    error, peak = peak_memory(resources.read_csv_file, path)

    assert isinstance(error, resources.CsvFileError)
    assert str(error).startswith("claims.csv is 8,589,934,592 bytes; files of at most")
    assert peak < 1024 * 1024


def test_a_bundle_with_a_huge_file_imports_nothing_and_says_why(tmp_path):
    with open(tmp_path / "topics.csv", "wb") as file:
        file.truncate(8 * 1024**3)
    (tmp_path / "organizations.csv").write_text("slug,name,kind,aliases,website,description\n")

    report, peak = peak_memory(resources.import_bundle, tmp_path)

    assert [str(p) for p in report.problems][0].startswith("topics.csv: topics.csv is 8,5")
    assert peak < 5 * 1024 * 1024
    assert not Topic.objects.exists()


def test_millions_of_empty_rows_over_the_limit_are_refused_without_reading_them(tmp_path, settings):
    settings.BRIEFING_IMPORT_MAX_BYTES = 4 * 1024 * 1024
    path = tmp_path / "topics.csv"
    with open(path, "w", encoding="utf-8", newline="") as file:
        file.write("slug,name,description\n")
        for _ in range(5):  # 5,000,000 empty rows, written a million at a time
            file.write("\n" * 1_000_000)

    error, peak = peak_memory(resources.read_csv_file, path)

    assert isinstance(error, resources.CsvFileError)
    assert "files of at most 4,194,304 bytes" in str(error)
    assert peak < 1024 * 1024


def test_millions_of_empty_rows_within_the_limit_are_just_skipped(tmp_path):
    data = b"slug,name,description\n" + b"\r\n" * 2_000_000 + b"compute,Compute,\n"

    dataset, peak = peak_memory(resources.read_csv, data, "topics.csv")

    assert len(dataset) == 1 and dataset.line_numbers == [2_000_002]
    assert peak < 20 * len(data)  # a few copies of the file at most, never a row per line


def test_a_single_huge_cell_is_refused_clearly_within_bounded_memory():
    cell = "x" * (limits.CSV_CELL + 1)
    data = f'slug,name,description\ncompute,Compute,"{cell}"\n'.encode()

    error, peak = peak_memory(resources.read_csv, data, "topics.csv")

    assert isinstance(error, resources.CsvFileError)
    assert str(error).startswith(
        f"topics.csv line 2: a cell is longer than {limits.CSV_CELL:,} characters"
    )
    # csv works on text held four bytes a character: a few such copies, never more.
    assert peak < 8 * len(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bytes(range(256)) * 64, "is not valid UTF-8 (byte 0x80 on line 2)"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "is not valid UTF-8 (byte 0x89 on line 1)"),
        (b"PK\x03\x04" + b"\x00\xff" * 50, "is not valid UTF-8 (byte 0xff on line 1)"),
        (codecs.BOM_UTF16_LE + "slug,name,description\n".encode("utf-16-le"), "byte 0xff"),
        ("slug,name,description\nx,Caf\u00e9,\n".encode("latin-1"), "byte 0xe9 on line 2"),
        ("slug,name,description\nx,\u201cq\u201d,\n".encode("cp1252"), "byte 0x93 on line 2"),
    ],
)
def test_garbage_and_wrong_encodings_are_refused_clearly(data, message):
    with pytest.raises(resources.CsvFileError) as error:
        resources.read_csv(data, "topics.csv")
    assert message in str(error.value)
    assert "Traceback" not in str(error.value)


def test_a_file_with_nul_bytes_is_refused_as_binary():
    with pytest.raises(resources.CsvFileError) as error:
        resources.read_csv(b"slug,name,description\ncompute,C\x00x,\n", "topics.csv")
    assert "NUL character on line 2" in str(error.value)


def test_the_admin_refuses_utf16_with_the_reason(reviewer_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = "slug,name,description\ncompute,Compute,\n".encode("utf-16")
    response = reviewer_client.post(
        reverse("admin:curation_topic_import"),
        {
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("topics.csv", data),
        },
    )
    assert response.status_code == 200
    assert "topics.csv is not valid UTF-8" in response.content.decode()
    assert not Topic.objects.exists()


# Property-based: import succeeds and round-trips, or fails and changes nothing -------------------

SOURCE_TEXT = f.SOURCE_TEXT
QUOTES = [
    "its AI Subsidy Scheme, worth HK$3 billion",
    '"We are delighted", said the chairman - adding',  # typographic in the source
    "more than 2,200 companies now work in the community",
    "The supercomputing centre is over 90% utilised",  # spaces differ in the source
]
FREE_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
SLUGS = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True)
KEYS = st.one_of(SLUGS, SLUGS, st.sampled_from(["", "../x", "a/b", "%2e%2e", "bad key"]))


def codes(choices, *bad):
    return st.one_of(st.sampled_from(list(choices)), st.sampled_from(list(bad)))


DATES = st.one_of(
    st.just(""),
    st.dates(datetime.date(1990, 1, 1), datetime.date(2040, 1, 1)).map(str),
    st.sampled_from(["2025-02-30", "31/12/2024", "soon"]),
)
VALUES = st.one_of(
    st.just(""),
    st.decimals(min_value=-(10**12), max_value=10**12, places=3, allow_nan=False).map(str),
    st.sampled_from(["3E+9", "1,000", "HK$3bn", "'-5"]),
)


@st.composite
def claim_rows(draw):
    status = draw(codes(Claim.Status.values, "published", ""))
    value = draw(VALUES)
    return {
        "key": draw(KEYS),
        "statement": draw(FREE_TEXT),
        "source": draw(st.sampled_from(["src", "src", "missing-source"])),
        "quote": draw(st.one_of(st.sampled_from(QUOTES), FREE_TEXT)),
        "locator": draw(FREE_TEXT),
        "speaker": draw(FREE_TEXT),
        "kind": draw(codes(Claim.Kind.values, "Figure", "?")),
        "initiative": "",
        "organizations": draw(st.sampled_from(["", "org-a", "org-a;org-b", "org-z"])),
        "topics": draw(st.sampled_from(["", "topic-a", "topic-a;topic-b", "nope"])),
        "attribute": draw(st.sampled_from(["", "budget", "share"])) if value else "",
        "value": value,
        "unit": draw(st.sampled_from(["", "HKD", "percent"])),
        "as_of": draw(DATES),
        "confidence": draw(codes(Claim.Confidence.values, "", "very")),
        "confidence_rationale": draw(FREE_TEXT),
        "status": status,
        "status_note": draw(st.one_of(st.just(""), FREE_TEXT)),
        "precision": draw(codes(Claim.Precision.values, "", "", "About", "over")),
        "value_high": draw(st.one_of(st.just(""), st.just(""), VALUES)),
    }


def topic_rows():
    return st.fixed_dictionaries(
        {"slug": KEYS, "name": st.one_of(FREE_TEXT, st.just("")), "description": FREE_TEXT}
    )


def organization_rows():
    return st.fixed_dictionaries(
        {
            "slug": KEYS,
            "name": FREE_TEXT,
            "kind": codes(Organization.Kind.values, "Company", ""),
            "aliases": FREE_TEXT,
            "website": st.sampled_from(["", "https://example.org/x", "javascript:alert(1)"]),
            "description": FREE_TEXT,
        }
    )


def to_csv(resource_class, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = resource_class.columns()
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row[c] for c in columns])
    return buffer.getvalue().encode("utf-8")


def snapshot():
    """Every content row and link, to tell whether an import changed anything."""
    state = {}
    for model in (Topic, Organization, Source, Claim):
        state[model.__name__] = sorted(
            tuple(str(v) for v in row) for row in model.objects.values_list()
        )
    state["claim-links"] = sorted(
        Claim.organizations.through.objects.values_list("claim_id", "organization_id")
    ) + sorted(Claim.topics.through.objects.values_list("claim_id", "topic_id"))
    return state


def check_import(resource_class, data):
    """The property: all-or-nothing, and a successful import round-trips."""
    before = snapshot()
    try:
        dataset = resources.read_csv(data, resource_class.default_file_name())
    except resources.CsvFileError as error:
        assert str(error)  # refused as a whole, with a reason
        assert snapshot() == before
        return "refused"
    result = resource_class().import_data(dataset)
    if result.problems:
        assert snapshot() == before, [str(p) for p in result.problems]
        lines = set(dataset.line_numbers) | {1}
        for problem in result.problems:
            assert problem.line is None or problem.line in lines, str(problem)
            assert problem.message
        return "errors"
    first = "".join(resources.csv_lines(resource_class().export_rows()))
    after_first = snapshot()
    again = resource_class().import_data(resources.read_csv(first.encode()))
    assert not again.problems, [str(p) for p in again.problems]
    assert snapshot() == after_first  # the export re-imports unchanged
    second = "".join(resources.csv_lines(resource_class().export_rows()))
    assert second == first
    return "imported"


PROPERTY_SETTINGS = hypothesis_settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def in_rollback(function):
    """Each example starts from the same database: its changes are rolled back."""
    with transaction.atomic():
        outcome = function()
        transaction.set_rollback(True)
    return outcome


@pytest.fixture
def references():
    f.SourceFactory(key="src", text=SOURCE_TEXT)
    f.OrganizationFactory(slug="org-a")
    f.OrganizationFactory(slug="org-b")
    f.TopicFactory(slug="topic-a")
    f.TopicFactory(slug="topic-b")
    f.ClaimFactory(key="existing", source=Source.objects.get(key="src"))


@PROPERTY_SETTINGS
@given(rows=st.lists(claim_rows(), min_size=1, max_size=6))
def test_generated_claim_files_import_all_or_nothing_and_round_trip(references, rows):
    in_rollback(
        lambda: check_import(resources.ClaimResource, to_csv(resources.ClaimResource, rows))
    )


@PROPERTY_SETTINGS
@given(rows=st.lists(topic_rows(), min_size=1, max_size=6))
def test_generated_topic_files_import_all_or_nothing_and_round_trip(references, rows):
    in_rollback(
        lambda: check_import(resources.TopicResource, to_csv(resources.TopicResource, rows))
    )


@PROPERTY_SETTINGS
@given(rows=st.lists(organization_rows(), min_size=1, max_size=6))
def test_generated_organization_files_import_all_or_nothing_and_round_trip(references, rows):
    resource = resources.OrganizationResource
    in_rollback(lambda: check_import(resource, to_csv(resource, rows)))


def test_the_property_sees_both_outcomes(references):
    """A valid file imports and round-trips; one bad row leaves the database as it was."""
    good = {
        "key": "new-claim",
        "statement": "=1+1, \u201cquoted\u201d\nover two lines",
        "source": "src",
        "quote": QUOTES[1],
        "locator": "",
        "speaker": "@someone",
        "kind": "figure",
        "initiative": "",
        "organizations": "org-a;org-b",
        "topics": "topic-a",
        "attribute": "budget",
        "value": "-5.5",
        "unit": "HKD",
        "as_of": "2025-01-01",
        "confidence": "high",
        "confidence_rationale": "",
        "status": "verified",
        "status_note": "",
        "precision": "range",
        "value_high": "10",
    }
    data = to_csv(resources.ClaimResource, [good])
    assert in_rollback(lambda: check_import(resources.ClaimResource, data)) == "imported"
    bad = dict(good, key="../x")
    data = to_csv(resources.ClaimResource, [good, bad])
    assert in_rollback(lambda: check_import(resources.ClaimResource, data)) == "errors"


# Sizes: whatever is saved fits the limits (curation/limits.py) -------------------------------


def test_a_source_text_over_the_limit_is_refused_by_the_admin_with_the_reason(reviewer_client):
    url = reverse("admin:curation_source_add")
    data = {
        "key": "huge",
        "title": "Huge",
        "source_type": "other",
        "reliability": "F",
        "language": "en",
        "text": "x" * (limits.SOURCE_TEXT + 1),
    }
    response = reviewer_client.post(url, data)
    assert response.status_code == 200
    assert f"at most {limits.SOURCE_TEXT}" in response.content.decode()
    assert not Source.objects.filter(key="huge").exists()


def test_a_section_body_over_the_limit_is_refused_with_the_reason():
    section = f.SectionFactory.build(
        briefing=f.BriefingFactory(), body="x" * (limits.SECTION_BODY + 1)
    )
    with pytest.raises(ValidationError) as caught:
        section.full_clean()
    assert f"at most {limits.SECTION_BODY}" in str(caught.value.message_dict["body"])


def test_a_text_over_the_limit_is_a_row_error_of_an_import():
    f.ClaimFactory(key="c1", statement="Short.")
    rows = list(resources.ClaimResource().export_rows())
    rows[1][rows[0].index("statement")] = "x" * (limits.TEXT + 1)
    data = "".join(resources.csv_lines(rows)).encode()

    result = resources.ClaimResource().import_data(resources.read_csv(data, "claims.csv"))

    assert [str(p) for p in result.problems] == [
        f"claims.csv line 2, column statement: Ensure this value has at most {limits.TEXT} "
        f"characters (it has {limits.TEXT + 1})."
    ]
    assert Claim.objects.get().statement == "Short."


# Line ends: text typed in a browser round-trips unchanged --------------------------------------


def test_text_typed_in_a_browser_round_trips_through_export_and_import(
    reviewer_client, editor_client
):
    claim = f.ClaimFactory(key="c1", status="in_review")
    url = reverse("admin:curation_claim_change", args=[claim.pk])
    rationale = "The operator says so.\r\nA second source agrees."
    reviewer_client.post(url, admin_form(reviewer_client, url, confidence_rationale=rationale))
    claim.refresh_from_db()
    assert claim.confidence_rationale == rationale.replace("\r\n", "\n")
    Claim.objects.filter(pk=claim.pk).update(status="verified")  # a second reviewer's check
    version = claim.version

    exported = "".join(resources.csv_lines(resources.ClaimResource().export_rows()))
    preview = editor_client.post(
        reverse("admin:curation_claim_import"),
        {
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("claims.csv", exported.encode()),
        },
    )
    form = preview.context["confirm_form"]
    editor_client.post(
        reverse("admin:curation_claim_process_import"),
        {name: form.initial[name] for name in form.fields},
    )

    claim.refresh_from_db()
    assert (claim.status, claim.version) == ("verified", version)


# Query strings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/admin/curation/claim/?status__exact=%00",
        "/admin/curation/claim/?q=%00",
        "/admin/curation/source/?reliability__exact=A%00",
        "/claims/?q=%00",
        "/claims/?status=%00",
        "/sources/?%00=1",
    ],
)
def test_a_nul_character_in_a_query_string_is_a_bad_request(reviewer_client, url):
    assert reviewer_client.get(url).status_code == 400


@pytest.mark.parametrize("value", ["abc", "1.5", "99999999999999999999999"])
def test_an_add_form_opened_with_a_relation_that_is_no_id_leaves_it_empty(reviewer_client, value):
    # `?source=3` fills an add form's field (Django's admin); `?source=abc` was a server error.
    url = reverse("admin:curation_claim_add") + f"?source={value}&organizations={value},1"
    response = reviewer_client.get(url)
    assert response.status_code == 200
    assert '<option value="" selected>' in response.content.decode()
    response = reviewer_client.get(reverse("admin:curation_initiative_add") + f"?lead={value}")
    assert response.status_code == 200


def test_a_long_search_is_cut_to_the_limit(client, django_assert_max_num_queries):
    from curation import limits

    typed = "word " * 1000
    with django_assert_max_num_queries(10):
        response = client.get(reverse("briefing:search"), {"q": typed})
    assert response.status_code == 200
    shown = typed.strip()[: limits.SEARCH_QUERY]
    assert shown in response.content.decode()
    assert typed.strip()[: limits.SEARCH_QUERY + 5] not in response.content.decode()
