"""
The benchmarks' data, generated on the fly as CSV bundles (no large files in the repository).

- `synthetic_bundle`: N claims over M sources, in the CSV formats of PRODUCT.md; every quote is
  a sentence of its source's text, so full validation passes.
- `scaled_seed`: the seed briefing (fixtures/hk-ai-ecosystem) copied k times: sources, claims,
  organisations, initiatives, contradictions and the briefing's sections (citing the copies), so
  the briefing page has k times the citations, and each copy is about subjects of its own.
"""

import csv
import random
import re
from pathlib import Path

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


def synthetic_bundle(directory, claims=10_000, sources=500, seed=8):
    """Write topics, organizations, sources, initiatives (reference data) and claims.csv."""
    rng = random.Random(seed)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    organizations = [f"org-{n}" for n in range(100)]
    initiatives = [f"initiative-{n}" for n in range(50)]
    write(
        directory / "topics.csv",
        ["slug", "name", "description"],
        [[t, t.replace("-", " ").title(), ""] for t in TOPICS],
    )
    write(
        directory / "organizations.csv",
        ["slug", "name", "kind", "aliases", "website", "description"],
        [[o, f"Organisation {o}", "company", "", "", ""] for o in organizations],
    )
    per_source = -(-claims // sources)
    texts = {}
    source_rows = []
    for n in range(sources):
        key = f"source-{n}"
        texts[key] = [sentence(rng, i) for i in range(per_source + 5)]
        source_rows.append(
            [
                key,
                f"Source document {n}",
                "Example News",
                "",
                f"https://example.org/{n}",
                "news_report",
                "2025-01-01",
                "2025-02-01",
                "B",
                "",
                "en",
                " ".join(texts[key]),
            ]
        )
    write(
        directory / "sources.csv",
        [
            "key",
            "title",
            "publisher",
            "author",
            "url",
            "source_type",
            "published_on",
            "retrieved_on",
            "reliability",
            "reliability_note",
            "language",
            "text",
        ],
        source_rows,
    )
    write(
        directory / "initiatives.csv",
        [
            "slug",
            "name",
            "kind",
            "status",
            "lead",
            "partners",
            "topics",
            "announced_on",
            "target",
            "summary",
        ],
        [
            [
                i,
                f"Initiative {i}",
                "programme",
                "operational",
                rng.choice(organizations),
                rng.choice(organizations),
                rng.choice(TOPICS),
                "2024-01-01",
                "",
                "A programme.",
            ]
            for i in initiatives
        ],
    )
    write(directory / "claims.csv", CLAIM_HEADER, claim_rows(rng, claims, sources, texts))
    return directory


CLAIM_HEADER = [
    "key",
    "statement",
    "source",
    "quote",
    "locator",
    "speaker",
    "kind",
    "initiative",
    "organizations",
    "topics",
    "attribute",
    "value",
    "unit",
    "as_of",
    "confidence",
    "confidence_rationale",
    "status",
    "status_note",
]


def claim_rows(rng, claims, sources, texts):
    rows = []
    for n in range(claims):
        source = f"source-{n % sources}"
        quote = texts[source][n // sources]
        figure = n % 3 == 0
        rows.append(
            [
                f"claim-{n}",
                f"Claim {n} says what the source says.",
                source,
                quote,
                "para 1",
                "",
                "figure" if figure else "fact",
                f"initiative-{n % 50}",
                ";".join(sorted({f"org-{n % 100}", f"org-{(n * 7) % 100}"})),
                ";".join(sorted({TOPICS[n % 8], TOPICS[(n * 3) % 8]})),
                f"measure_{n % 20}" if figure else "",
                str(1000 + n) if figure else "",
                "HKD" if figure else "",
                "2025-01-01" if figure else "",
                "high",
                "The source says so.",
                "verified",
                "",
            ]
        )
    return rows


# The seed briefing, k times ----------------------------------------------------------------------

CITATION = re.compile(r"\[\[\s*([-\w]+)\s*\]\]")


def _suffixed(key, copy):
    return key if copy == 0 else f"{key[:72]}-x{copy}"


def _suffixed_list(keys, copy):
    return ";".join(_suffixed(key, copy) for key in keys.split(";") if key)


def scaled_seed(directory, copies):
    """
    The seed bundle with `copies` copies of its sources, claims, organisations, initiatives and
    sections.

    Each copy is about organisations of its own (as about initiatives of its own): k copies are k
    briefings' worth of citations, not one set of figures reported k times. Were the copies to
    share organisations, a figure about an organisation would agree or conflict with its k - 1
    copies and every note would list them all: a page growing with citations times copies,
    which is the data, not the rendering (see bench/README.md).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("topics.csv", "briefings.csv"):
        (directory / name).write_bytes((SEED / name).read_bytes())
    files = {
        name: read(SEED / name)
        for name in (
            "organizations.csv",
            "sources.csv",
            "initiatives.csv",
            "claims.csv",
            "contradictions.csv",
            "sections.csv",
        )
    }
    out = {name: [] for name in files}
    for copy in range(copies):
        for row in files["organizations.csv"]:
            out["organizations.csv"].append(
                {
                    **row,
                    "slug": _suffixed(row["slug"], copy),
                    "name": row["name"] + (f" ({copy})" if copy else ""),
                }
            )
        for row in files["sources.csv"]:
            out["sources.csv"].append({**row, "key": _suffixed(row["key"], copy)})
        for row in files["initiatives.csv"]:
            out["initiatives.csv"].append(
                {
                    **row,
                    "slug": _suffixed(row["slug"], copy),
                    "name": row["name"] + (f" ({copy})" if copy else ""),
                    "lead": _suffixed(row["lead"], copy) if row["lead"] else "",
                    "partners": _suffixed_list(row["partners"], copy),
                }
            )
        for row in files["claims.csv"]:
            out["claims.csv"].append(
                {
                    **row,
                    "key": _suffixed(row["key"], copy),
                    "source": _suffixed(row["source"], copy),
                    "initiative": _suffixed(row["initiative"], copy) if row["initiative"] else "",
                    "organizations": _suffixed_list(row["organizations"], copy),
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
        for row in files["sections.csv"]:
            body = CITATION.sub(lambda m, c=copy: f"[[{_suffixed(m.group(1), c)}]]", row["body"])
            out["sections.csv"].append(
                {**row, "position": str(int(row["position"]) + 1000 * copy), "body": body}
            )
    for name, rows in out.items():
        header = list(files[name][0].keys())
        write(directory / name, header, [[row[h] for h in header] for row in rows])
    return directory
