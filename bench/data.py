"""
The benchmarks' data, generated on the fly as CSV bundles (no large files in the repository).

- `synthetic_bundle`: N claims over M sources, in the CSV formats of PRODUCT.md (the columns of
  `curation.resources`); every quote is a sentence of its source's text, so full validation
  passes.
- `scaled_seed`: the seed briefing (fixtures/hk-ai-ecosystem) copied k times: sources, claims,
  organisations, initiatives, contradictions and the briefing's sections (citing the copies), so
  the briefing page has k times the citations, and each copy is about subjects of its own.
"""

import csv
import random
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from curation import resources

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "hk-ai-ecosystem"

TOPICS = [
    "compute",
    "funding",
    "partnerships",
    "talent",
    "data",
    "web3",
    "responsible-ai",
    "capital",
]
WORDS = [
    "cyberport",
    "science",
    "park",
    "fund",
    "subsidy",
    "compute",
    "centre",
    "data",
    "talent",
    "policy",
    "partnership",
    "start-up",
    "investment",
    "programme",
    "government",
    "university",
    "capacity",
    "target",
    "pilot",
    "platform",
    "research",
    "ecosystem",
    "accelerator",
    "blockchain",
    "infrastructure",
    "scheme",
    "applicants",
    "approved",
    "projects",
]


def write(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def read(path):
    with open(path, newline="", encoding="utf-8-sig") as file:
        return list(csv.DictReader(file))


def sentence(rng, n):
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
    return f"Sentence {n}: " + " ".join(words).capitalize() + "."


def write_rows(path, resource, rows):
    """Write `rows` (dicts by column; a missing column is empty) in `resource`'s columns."""
    columns = resource.columns()
    write(path, columns, [[row.get(column, "") for column in columns] for row in rows])


def synthetic_bundle(directory, claims=10_000, sources=500, seed=8):
    """Write topics, organizations, sources, initiatives (reference data) and claims.csv."""
    rng = random.Random(seed)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    organizations = [f"org-{n}" for n in range(100)]
    initiatives = [f"initiative-{n}" for n in range(50)]
    write_rows(
        directory / "topics.csv",
        resources.TopicResource,
        [{"slug": t, "name": t.replace("-", " ").title()} for t in TOPICS],
    )
    write_rows(
        directory / "organizations.csv",
        resources.OrganizationResource,
        [{"slug": o, "name": f"Organisation {o}", "kind": "company"} for o in organizations],
    )
    per_source = -(-claims // sources)
    texts = {}
    source_rows = []
    for n in range(sources):
        key = f"source-{n}"
        texts[key] = [sentence(rng, i) for i in range(per_source + 5)]
        source_rows.append(
            {
                "key": key,
                "title": f"Source document {n}",
                "publisher": "Example News",
                "url": f"https://example.org/{n}",
                "source_type": "news_report",
                "published_on": "2025-01-01",
                "retrieved_on": "2025-02-01",
                "reliability": "B",
                "language": "en",
                "text": " ".join(texts[key]),
            }
        )
    write_rows(directory / "sources.csv", resources.SourceResource, source_rows)
    write_rows(
        directory / "initiatives.csv",
        resources.InitiativeResource,
        [
            {
                "slug": i,
                "name": f"Initiative {i}",
                "kind": "programme",
                "status": "operational",
                "lead": rng.choice(organizations),
                "partners": rng.choice(organizations),
                "topics": rng.choice(TOPICS),
                "announced_on": "2024-01-01",
                "summary": "A programme.",
            }
            for i in initiatives
        ],
    )
    write_rows(
        directory / "claims.csv",
        resources.ClaimResource,
        claim_rows(rng, claims, sources, texts),
    )
    return directory


def claim_rows(rng, claims, sources, texts):
    rows = []
    for n in range(claims):
        source = f"source-{n % sources}"
        figure = n % 3 == 0
        rows.append(
            {
                "key": f"claim-{n}",
                "statement": f"Claim {n} says what the source says.",
                "source": source,
                "quote": texts[source][n // sources],
                "locator": "para 1",
                "kind": "figure" if figure else "fact",
                "initiative": f"initiative-{n % 50}",
                "organizations": ";".join(sorted({f"org-{n % 100}", f"org-{(n * 7) % 100}"})),
                "topics": ";".join(sorted({TOPICS[n % 8], TOPICS[(n * 3) % 8]})),
                "confidence": "high",
                "confidence_rationale": "The source says so.",
                "status": "verified",
            }
        )
        if figure:
            rows[-1].update(
                attribute=f"measure_{n % 20}", value=str(1000 + n), unit="HKD", as_of="2025-01-01"
            )
    return rows


# The seed briefing, k times ----------------------------------------------------------------------

CITATION = re.compile(r"\[\[\s*([-\w]+)\s*\]\]")


def _suffixed(key, copy):
    return key if copy == 0 else f"{key[:72]}-x{copy}"


def _suffixed_list(keys, copy):
    return ";".join(_suffixed(key, copy) for key in keys.split(";") if key)


def most_linked(claims, column):
    """The slug the most claims name in `column` (a list column or a single one)."""
    counts = Counter(slug for row in claims for slug in row[column].split(";") if slug)
    return counts.most_common(1)[0][0]


def scaled_seed(directory, copies):
    """
    The seed bundle with `copies` copies of every table: topics, organisations, sources,
    initiatives, claims, contradictions, briefings and their sections.

    Each copy is a briefing of its own, about organisations and initiatives of its own, dated a
    day before the one before it (the home page shows the seed's own), with two exceptions, as
    real content has: the organisation and the initiative the seed's claims name most often
    (Cyberport, and an initiative named by six claims) are the originals in every copy, so each
    is named by a share of all claims that stays the seed's share at any size (56 of 93 claims
    name Cyberport: 5,600 of 9,300 at 100x). A copy's figures about them measure attributes of
    their own (`budget_x3`): were they the seed's attributes, every figure about Cyberport would
    agree or conflict with its copies and every note would list them all, which is the data,
    not the rendering (see bench/README.md).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    names = (
        "topics.csv",
        "organizations.csv",
        "sources.csv",
        "initiatives.csv",
        "claims.csv",
        "contradictions.csv",
        "briefings.csv",
        "sections.csv",
    )
    files = {name: read(SEED / name) for name in names}
    shared_org = most_linked(files["claims.csv"], "organizations")
    shared_initiative = most_linked(files["claims.csv"], "initiative")

    def org(slug, copy):
        return slug if slug == shared_org else _suffixed(slug, copy)

    def initiative(slug, copy):
        return slug if slug == shared_initiative else _suffixed(slug, copy)

    out = {name: [] for name in files}
    for copy in range(copies):
        label = f" ({copy})" if copy else ""
        for row in files["topics.csv"]:
            out["topics.csv"].append(
                {**row, "slug": _suffixed(row["slug"], copy), "name": row["name"] + label}
            )
        for row in files["organizations.csv"]:
            if copy and row["slug"] == shared_org:
                continue
            out["organizations.csv"].append(
                {**row, "slug": _suffixed(row["slug"], copy), "name": row["name"] + label}
            )
        for row in files["sources.csv"]:
            out["sources.csv"].append({**row, "key": _suffixed(row["key"], copy)})
        for row in files["initiatives.csv"]:
            if copy and row["slug"] == shared_initiative:
                continue
            out["initiatives.csv"].append(
                {
                    **row,
                    "slug": _suffixed(row["slug"], copy),
                    "name": row["name"] + label,
                    "lead": org(row["lead"], copy) if row["lead"] else "",
                    "partners": ";".join(org(s, copy) for s in row["partners"].split(";") if s),
                }
            )
        for row in files["claims.csv"]:
            organizations = [org(s, copy) for s in row["organizations"].split(";") if s]
            shared = shared_org in organizations or row["initiative"] == shared_initiative
            out["claims.csv"].append(
                {
                    **row,
                    "key": _suffixed(row["key"], copy),
                    "source": _suffixed(row["source"], copy),
                    "initiative": initiative(row["initiative"], copy) if row["initiative"] else "",
                    "organizations": ";".join(organizations),
                    "topics": _suffixed_list(row["topics"], copy),
                    "attribute": (
                        f"{row['attribute']}_x{copy}"
                        if copy and shared and row["attribute"]
                        else row["attribute"]
                    ),
                }
            )
        for row in files["contradictions.csv"]:
            out["contradictions.csv"].append(
                {
                    **row,
                    "claim": _suffixed(row["claim"], copy),
                    "contradicts": _suffixed(row["contradicts"], copy),
                }
            )
        for row in files["briefings.csv"]:
            edition = date.fromisoformat(row["edition_date"]) - timedelta(days=copy)
            out["briefings.csv"].append(
                {
                    **row,
                    "slug": _suffixed(row["slug"], copy),
                    "title": row["title"] + label,
                    "edition_date": edition.isoformat(),
                }
            )
        for row in files["sections.csv"]:
            body = CITATION.sub(lambda m, c=copy: f"[[{_suffixed(m.group(1), c)}]]", row["body"])
            out["sections.csv"].append(
                {**row, "briefing": _suffixed(row["briefing"], copy), "body": body}
            )
    for name, rows in out.items():
        header = list(files[name][0].keys())
        write(directory / name, header, [[row[h] for h in header] for row in rows])
    return directory
