"""
The public bundle: /data/briefing-bundle.zip, everything published here in the files
`import_bundle` reads, so anyone can load the published briefing into their own copy
(`unzip briefing-bundle.zip && python manage.py import_bundle briefing-bundle`).

What it holds, in the folder `briefing-bundle/`:
- topics, organizations, sources, initiatives and claims.csv: the /data/ downloads' rows
  (`downloads.DATASETS`: public claims and what they refer to);
- reviews.csv: when each public claim was reviewed and first public (readers see both), without
  who: the public files never name users;
- contradictions.csv: the links editors made between two public claims;
- briefings.csv and sections.csv: the published briefings, with when they were published and
  last updated (not by whom), and their sections. A citation of a claim that is no longer public
  (retracted since) is left out of the section's text, as its words are of the page, so the
  briefing publishes in the copy;
- LICENCE.txt: the licence of the content, which the importer ignores.

Not in it: drafts and unpublished briefings, claims that are not public, and the editors' review
data (proposed revisions, comments, explained conflicts, user names).

Kept on disk per content generation like the other downloads (`downloads`); the zip is written
to a file, a claims chunk at a time (never whole in memory), then served from it.
"""

import secrets
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings
from django.http import FileResponse
from django.utils.cache import patch_cache_control

from curation import resources
from curation.models import CITATION, Briefing, Claim, Section

from . import citing, downloads

NAME = "briefing-bundle"
FILE_NAME = f"{NAME}.zip"
CONTENT_TYPE = "application/zip"
# Columns of the public files that would name a user: left empty.
USER_COLUMNS = {"created_by", "reviewed_by", "published_by", "decided_by", "author"}
BUFFER = 64 * 1024


def _without_users(rows):
    header = next(rows)
    blank = {index for index, column in enumerate(header) if column in USER_COLUMNS}
    yield header
    for row in rows:
        yield [("" if index in blank else cell) for index, cell in enumerate(row)]


def _public_citations_only(rows, public_keys):
    """sections.csv rows with each citation of a claim that is not public taken out."""
    header = next(rows)
    body = header.index("body")
    yield header

    def keep(match):
        return match.group(0) if match.group(1) in public_keys else ""

    for row in rows:
        row = list(row)
        row[body] = CITATION.sub(keep, row[body])
        yield row


def files():
    """[(file name, rows)] of the public bundle, in the bundle's order."""
    public_claims = Claim.objects.public()
    briefings = Briefing.objects.public()
    found = [
        (f"{name}.csv", spec.resource_instance().export_rows(spec.queryset()))
        for name, spec in reversed(downloads.DATASETS.items())
    ]
    cited = set(
        public_claims.filter(citations__section__briefing__in=briefings).values_list(
            "key", flat=True
        )
    )
    contradictions = resources.ContradictionResource._meta.model.objects.filter(
        from_claim__in=public_claims, to_claim__in=public_claims
    )
    found += [
        ("reviews.csv", _without_users(resources.ReviewResource().export_rows(public_claims))),
        ("contradictions.csv", resources.ContradictionResource().export_rows(contradictions)),
        ("briefings.csv", _without_users(resources.BriefingResource().export_rows(briefings))),
        (
            "sections.csv",
            _public_citations_only(
                resources.SectionResource().export_rows(
                    Section.objects.filter(briefing__in=briefings)
                ),
                cited,
            ),
        ),
    ]
    order = [name for name, _ in resources.BUNDLE]
    return sorted(found, key=lambda item: order.index(item[0]))


def write(file):
    """Write the public bundle as a zip to the binary `file`."""
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, rows in files():
            with archive.open(f"{NAME}/{name}", "w") as entry:
                buffer = []
                size = 0
                for line in resources.csv_lines(rows):
                    buffer.append(line)
                    size += len(line)
                    if size >= BUFFER:
                        entry.write("".join(buffer).encode())
                        buffer, size = [], 0
                entry.write("".join(buffer).encode())
        archive.writestr(f"{NAME}/LICENCE.txt", citing.licence_text())


def download(request):
    """/data/briefing-bundle.zip: kept per content generation, as the other downloads are."""
    generation = downloads.kept_generation(request)
    file = None
    if generation is not None:
        path = Path(settings.DOWNLOAD_CACHE_DIR) / generation / FILE_NAME
        try:
            file = open(path, "rb")  # noqa: SIM115 (FileResponse closes it)
        except FileNotFoundError:
            file = _kept(generation, path)
    if file is None:
        file = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
        write(file)
        file.seek(0)
    response = FileResponse(file, as_attachment=True, filename=FILE_NAME, content_type=CONTENT_TYPE)
    citing.link_licence(response)
    patch_cache_control(response, public=True, max_age=downloads.CACHE_SECONDS)
    return response


def _kept(generation, path):
    """Write this generation's zip and open it; None if it cannot be kept."""
    temporary = None
    try:
        directory = downloads.generation_directory(generation)
        temporary = directory / f".{FILE_NAME}.{secrets.token_hex(8)}"
        with open(temporary, "wb") as out:
            write(out)
        temporary.replace(path)
        return open(path, "rb")  # noqa: SIM115 (FileResponse closes it)
    except OSError:
        downloads.logger.exception("%s cannot be kept; it is generated uncached.", path)
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        return None
