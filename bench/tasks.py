"""
The Django side of the benchmarks, run by bench/run.py in a process of its own per task and
database (DATABASE_URL in the environment). Each task prints one JSON object on its last line.

    python bench/tasks.py import --claims 10000 --sources 500 --rounds 3
    python bench/tasks.py import-peak --contender ours --directory DIR
    python bench/tasks.py build-render --copies 10
    python bench/tasks.py probe-render --reps 5
    python bench/tasks.py probe-download
    python bench/tasks.py build-admin --claims 100000
    python bench/tasks.py probe-admin --reps 5
    python bench/tasks.py prepare-serve --html OUT
"""

import argparse
import csv
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "briefing.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import resolve  # noqa: E402
from import_export import fields, resources, widgets  # noqa: E402

from bench import data  # noqa: E402
from curation import resources as ours  # noqa: E402
from curation.models import Claim, Initiative, Organization, Source, Topic  # noqa: E402


def migrate():
    call_command("migrate", verbosity=0, interactive=False)


def load_bundle(directory):
    report = ours.import_bundle(directory)
    if report.problems:
        raise SystemExit("\n".join(str(p) for p in report.problems[:20]))
    return report


def timed(func):
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


# Import -----------------------------------------------------------------------------------------


class PeerClaimResource(resources.ModelResource):
    """
    The peer: claims.csv imported with django-import-export's default configuration, the way its
    documentation shows: the same columns, the library's own widgets (one query per foreign
    key or many-to-many lookup), a row-by-row instance loader, no model validation, no bulk.
    """

    source = fields.Field(
        attribute="source", column_name="source", widget=widgets.ForeignKeyWidget(Source, "key")
    )
    initiative = fields.Field(
        attribute="initiative",
        column_name="initiative",
        widget=widgets.ForeignKeyWidget(Initiative, "slug"),
    )
    organizations = fields.Field(
        attribute="organizations",
        column_name="organizations",
        widget=widgets.ManyToManyWidget(Organization, separator=";", field="slug"),
    )
    topics = fields.Field(
        attribute="topics",
        column_name="topics",
        widget=widgets.ManyToManyWidget(Topic, separator=";", field="slug"),
    )

    class Meta:
        model = Claim
        fields = ours.ClaimResource.columns()
        import_id_fields = ["key"]


def reset_claims():
    """Remove every claim, its links and its history, in raw SQL (not part of any timing)."""
    tables = connection.introspection.table_names()
    doomed = [
        t
        for t in tables
        if t.startswith("curation_historicalclaim") or t.startswith("curation_claim_")
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for table in sorted(doomed, key=lambda t: -len(t)) + [Claim._meta.db_table]:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


def import_limit(path):
    """The limit: the same rows, parsed and written with bulk_create in one transaction."""
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    with transaction.atomic():
        sources = dict(Source.objects.values_list("key", "id"))
        initiatives = dict(Initiative.objects.values_list("slug", "id"))
        organizations = dict(Organization.objects.values_list("slug", "id"))
        topics = dict(Topic.objects.values_list("slug", "id"))
        claims = [
            Claim(
                key=r["key"],
                statement=r["statement"],
                source_id=sources[r["source"]],
                quote=r["quote"],
                locator=r["locator"],
                speaker=r["speaker"],
                kind=r["kind"],
                initiative_id=initiatives.get(r["initiative"]),
                attribute=r["attribute"],
                value=Decimal(r["value"]) if r["value"] else None,
                unit=r["unit"],
                as_of=date.fromisoformat(r["as_of"]) if r["as_of"] else None,
                confidence=r["confidence"],
                confidence_rationale=r["confidence_rationale"],
                status=r["status"],
                status_note=r["status_note"],
            )
            for r in rows
        ]
        Claim.objects.bulk_create(claims, batch_size=1000)
        if claims[0].pk is None:  # a database that does not return ids
            ids = dict(Claim.objects.values_list("key", "id"))
            for claim in claims:
                claim.pk = ids[claim.key]
        for name, lookup in (("organizations", organizations), ("topics", topics)):
            through = getattr(Claim, name).through
            target = "organization_id" if name == "organizations" else "topic_id"
            links = [
                through(claim_id=claim.pk, **{target: lookup[key]})
                for claim, row in zip(claims, rows, strict=True)
                for key in row[name].split(";")
                if key
            ]
            through.objects.bulk_create(links, batch_size=2000)


def import_ours(directory):
    call_command("import_bundle", str(directory), stdout=io.StringIO())


def import_peer(path):
    import tablib

    dataset = tablib.Dataset().load(Path(path).read_text(encoding="utf-8"), format="csv")
    # One transaction, as the other two, so the comparison is of the import, not of commits.
    with transaction.atomic():
        result = PeerClaimResource().import_data(dataset)
    if result.has_errors() or result.has_validation_errors():
        raise SystemExit(f"the peer's import failed: {result.base_errors or result.invalid_rows}")


def task_import(args):
    migrate()
    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    bundle = data.synthetic_bundle(work / "bundle", args.claims, args.sources)
    claims_dir = work / "claims"
    claims_dir.mkdir()
    shutil.move(bundle / "claims.csv", claims_dir / "claims.csv")
    load_bundle(bundle)
    path = claims_dir / "claims.csv"
    # The peer is slow (a query per lookup, history per link): by default it imports the first
    # rows of the same file only; its rows/s is per row, so it compares all the same.
    peer_rows = min(args.peer_claims or args.claims, args.claims)
    peer_path = work / "peer-claims.csv"
    with open(path, encoding="utf-8") as file:
        peer_path.write_text("".join(file.readlines()[: peer_rows + 1]), encoding="utf-8")
    rows = {"limit": args.claims, "ours": args.claims, "peer": peer_rows}
    contenders = {
        "limit": lambda: import_limit(path),
        "ours": lambda: import_ours(claims_dir),
        "peer": lambda: import_peer(peer_path),
    }
    times = {name: [] for name in contenders}
    reimport = {"ours": [], "peer": []}
    names = list(contenders)
    for round_ in range(args.rounds):
        order = names[round_ % 3 :] + names[: round_ % 3]
        for name in order:
            reset_claims()
            times[name].append(timed(contenders[name]))
            count = Claim.objects.count()
            assert count == rows[name], (name, count)
            if name in reimport:
                reimport[name].append(timed(contenders[name]))
            print(f"  import round {round_ + 1} {name}: {times[name][-1]:.2f} s", file=sys.stderr)
    # Peak memory: each import in a fresh process of its own, on an empty claims table.
    peaks = {}
    for name in ("limit", "ours"):
        reset_claims()
        out = subprocess.run(
            [sys.executable, __file__, "import-peak", f"--contender={name}", f"--directory={work}"],
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        ).stdout
        peaks[name] = json.loads(out.strip().splitlines()[-1])
        print(f"  import peak {name}: {peaks[name]['peak_mb']:.0f} MB", file=sys.stderr)
    reset_claims()
    shutil.rmtree(work)
    result = {
        "rows": rows,
        "seconds": {k: statistics.median(v) for k, v in times.items()},
        "reimport_seconds": {k: statistics.median(v) for k, v in reimport.items()},
        "all_seconds": times,
        "all_reimport_seconds": reimport,
        "peak_memory": peaks,
    }
    print(json.dumps(result))


def peak_kb():
    """This process's peak resident memory, in kilobytes: Linux's VmHWM, which starts afresh
    in a new program (getrusage's maximum is carried over from the process that started it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def task_import_peak(args):
    """
    The peak memory of one import of claims.csv (raw bulk_create or ours), in this fresh
    process: its maximum resident size, and how far that grew from the size once Django and
    the code were loaded (the same start for both).
    """
    claims_dir = Path(args.directory) / "claims"
    before = peak_kb()
    if args.contender == "limit":
        import_limit(claims_dir / "claims.csv")
    else:
        import_ours(claims_dir)
    after = peak_kb()
    assert Claim.objects.count() > 0
    print(json.dumps({"peak_mb": after / 1024, "growth_mb": (after - before) / 1024}))


# Render -----------------------------------------------------------------------------------------


def analyze():
    """Planner statistics, as a running site has them (PostgreSQL's autovacuum gathers them a
    minute after a bulk load; SQLite keeps them from ANALYZE): probed right after the load,
    PostgreSQL planned the desk's questions without them, from guesses, three times slower."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def task_build_render(args):
    migrate()
    work = Path(tempfile.mkdtemp(prefix="bench-render-"))
    load_bundle(data.scaled_seed(work, args.copies))
    shutil.rmtree(work)
    analyze()
    print(json.dumps({"claims": Claim.objects.count(), "sources": Source.objects.count()}))


def render_uncached(url):
    """A reader's page rendered by its view, in-process, without the page cache."""
    request = RequestFactory().get(url)
    request.user = AnonymousUser()
    match = resolve(request.path_info)
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = match.func(request, *match.args, **match.kwargs)
        elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, len(queries), response.content


def task_probe_render(args):
    from curation.models import Briefing

    briefing = Briefing.objects.public().first()
    first_key = briefing.sections.order_by("position").first().cited_keys()[0]
    pages = {
        "briefing": "/",
        "claim": f"/claims/{first_key}/",
        "claims list": "/claims/",
        "initiative list": "/initiatives/",
        "search": "/search/?q=cyberport",
    }
    # The desk first: after the 100x briefing page (13 MB of HTML, rendered a few times) the
    # process's heap makes every later collection of the garbage collector slower, which no
    # worker answering the desk pays; measured after it, the desk took 1.6 times as long.
    desk = probe_desk(max(args.reps, 5))
    for url in pages.values():
        render_uncached(url)  # warm templates and connections
    samples = {name: [] for name in pages}
    result = {}
    for _ in range(args.reps):
        for name, url in pages.items():
            elapsed, queries, content = render_uncached(url)
            samples[name].append(elapsed)
            result[name] = {"queries": queries, "bytes": len(content)}
            if name == "briefing":
                result[name]["citations"] = content.decode().count('<li id="note-')
    for name, times in samples.items():
        result[name]["ms"] = statistics.median(times) * 1000
    result["desk"] = desk
    if not args.stack:
        print(json.dumps(result))
        return
    # The same page through the whole stack, answered by the page cache and rendered.
    client, staffless = Client(), Client()
    staffless.cookies["sessionid"] = "no-such-session"  # a session cookie: the cache is bypassed
    client.get("/")
    staffless.get("/")
    cached, uncached = [], []
    # Forty times the requests of the pages above: each is cheap, and a ratio of two small
    # medians moves with every hiccup of a shared machine (by a tenth between runs with ten).
    for _ in range(args.reps * 40):
        cached.append(timed(lambda: client.get("/")))
        uncached.append(timed(lambda: staffless.get("/")))
    result["stack"] = {
        "cached_ms": statistics.median(cached) * 1000,
        "uncached_ms": statistics.median(uncached) * 1000,
        **round_trips(args.reps * 40),
    }
    print(json.dumps(result))


def task_probe_download(args):
    """
    /data/claims.csv streamed once, after a first download, as a reader's download generated
    afresh (a session cookie: no kept file is read or written): the growth of the process's
    peak resident memory over what it was before, the time to the first row and to the last byte,
    the bytes.
    """
    client = Client()
    client.cookies["sessionid"] = "no-such-session"
    # Warmed first (URLs, middleware, the CSV code loaded): the growth is the download's.
    b"".join(client.get("/data/topics.csv").streaming_content)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes, on Linux
    start = time.perf_counter()
    response = client.get("/data/claims.csv")
    assert response.status_code == 200, response.status_code
    first_row, sent = None, 0
    for number, chunk in enumerate(response.streaming_content):
        if number == 1:  # after the header, which comes before any query
            first_row = time.perf_counter() - start
        sent += len(chunk)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "peak_growth_mb": (after - before) / 1024,
                "first_row_ms": first_row * 1000,
                "seconds": elapsed,
                "bytes": sent,
                "claims": Claim.objects.public().count(),
            }
        )
    )


def probe_desk(reps):
    """The editors' desk (the admin's home page) as a reviewer sees it: median ms, queries."""
    from django.contrib.auth.models import Group

    from curation.roles import ensure_roles

    ensure_roles()
    reviewer, _ = get_user_model().objects.get_or_create(username="bench-reviewer")
    reviewer.is_staff = True
    reviewer.save()
    reviewer.groups.add(Group.objects.get(name="Reviewer"))
    client = Client()
    client.force_login(reviewer)
    assert client.get("/admin/").status_code == 200  # warm
    times = []
    for _ in range(reps):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get("/admin/")
            times.append(time.perf_counter() - start)
        assert response.status_code == 200
    return {
        "ms": statistics.median(times) * 1000,
        "queries": len(queries),
        "bytes": len(response.content),
    }


def round_trips(samples):
    """
    What one database round trip (SELECT 1) costs: back to back, and after 5 ms of work in the
    client, as a page's queries come between its Python. With a database server, the second
    also waits for the server's process to wake, which a virtual machine can make slow.
    """

    def select_one():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    def work(seconds):
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            pass

    after_work, back_to_back = [], []
    for _ in range(samples):
        work(0.005)
        after_work.append(timed(select_one))
        back_to_back.append(timed(select_one))
    return {
        "round_trip_ms": statistics.median(back_to_back) * 1000,
        "round_trip_after_work_ms": statistics.median(after_work) * 1000,
    }


# Admin ------------------------------------------------------------------------------------------


def task_build_admin(args):
    migrate()
    work = Path(tempfile.mkdtemp(prefix="bench-admin-"))
    bundle = data.synthetic_bundle(work, claims=1, sources=500)
    (bundle / "claims.csv").unlink()
    load_bundle(bundle)
    shutil.rmtree(work)
    sources = list(Source.objects.only("id", "text"))
    initiatives = list(Initiative.objects.values_list("id", flat=True))
    statuses = [s for s, _ in Claim.Status.choices]
    batch = []
    for n in range(args.claims):
        source = sources[n % len(sources)]
        status = statuses[n % len(statuses)]
        batch.append(
            Claim(
                key=f"claim-{n:06d}",
                statement=f"Claim {n} says what the source says.",
                source_id=source.id,
                quote=source.text[:60],
                quote_start=0,
                quote_end=60,
                kind=Claim.Kind.FACT,
                initiative_id=initiatives[n % len(initiatives)] if n % 2 else None,
                confidence=Claim.Confidence.HIGH,
                status=status,
                status_note="A note." if status in Claim.NOTE_REQUIRED_STATUSES else "",
            )
        )
        if len(batch) == 5000:
            Claim.objects.bulk_create(batch)
            batch = []
    Claim.objects.bulk_create(batch)
    get_user_model().objects.create_superuser("bench-admin", "bench@example.org", None)
    print(json.dumps({"claims": Claim.objects.count()}))


def task_probe_admin(args):
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-admin"))
    url = "/admin/curation/claim/"
    assert client.get(url).status_code == 200
    times, queries = [], None
    for _ in range(args.reps):
        with CaptureQueriesContext(connection) as captured:
            elapsed = timed(lambda: client.get(url))
        times.append(elapsed)
        queries = len(captured)
    print(json.dumps({"ms": statistics.median(times) * 1000, "queries": queries}))


def page_urls():
    """
    One URL of every public page type and every admin changelist, at the scaled seed: the
    detail pages of the organisation and the initiative the most claims name (`data.scaled_seed`
    shares them between copies), and of the seed's own briefing, first source and first claim.
    """
    from django.apps import apps
    from django.urls import NoReverseMatch, reverse

    from curation.models import Briefing

    claims = data.read(data.SEED / "claims.csv")
    briefing = Briefing.objects.public().order_by("pk").first()
    public = {
        "home": "/",
        "briefings": "/briefings/",
        "briefing": f"/briefings/{briefing.slug}/",
        "organizations": "/organizations/",
        "organization": f"/organizations/{data.most_linked(claims, 'organizations')}/",
        "initiatives": "/initiatives/",
        "initiative": f"/initiatives/{data.most_linked(claims, 'initiative')}/",
        "sources": "/sources/",
        "source": f"/sources/{Source.objects.order_by('pk').first().key}/",
        "claims": "/claims/",
        "claim": f"/claims/{claims[0]['key']}/",
        "search": "/search/?q=cyberport",
        "search zh": "/search/?q=%E6%95%B8%E7%A2%BC%E6%B8%AF",
        "data": "/data/",
    }
    admin = {"admin desk": "/admin/"}
    for model in apps.get_app_config("curation").get_models():
        try:
            url = reverse(f"admin:curation_{model._meta.model_name}_changelist")
        except NoReverseMatch:
            continue  # not in the admin
        admin[f"admin {model._meta.verbose_name_plural}"] = url
    return public, admin


def task_probe_pages(args):
    """
    Every public page type (as a reader, without the page cache) and every admin changelist (as
    a superuser): median ms, queries and bytes of each, as JSON.
    """
    get_user_model().objects.filter(username="bench-pages").delete()
    user = get_user_model().objects.create_superuser("bench-pages", "bench@example.org", None)
    client = Client()
    client.force_login(user)
    public, admin = page_urls()
    result = {}
    for name, url in {**public, **admin}.items():
        get = (lambda u=url: render_uncached(u)) if name in public else None
        if get is None:

            def get(u=url):
                with CaptureQueriesContext(connection) as queries:
                    start = time.perf_counter()
                    response = client.get(u)
                    elapsed = time.perf_counter() - start
                assert response.status_code == 200, (u, response.status_code)
                return elapsed, len(queries), response.content

        get()  # warm
        times = []
        for _ in range(args.reps):
            elapsed, queries, content = get()
            times.append(elapsed)
        result[name] = {
            "url": url,
            "ms": statistics.median(times) * 1000,
            "queries": queries,
            "bytes": len(content),
        }
    print(json.dumps(result))


# Serve ------------------------------------------------------------------------------------------


def task_prepare_serve(args):
    migrate()
    load_bundle(data.SEED)
    response = Client().get("/", headers={"host": args.host})
    assert response.status_code == 200
    Path(args.html).parent.mkdir(parents=True, exist_ok=True)
    Path(args.html).write_bytes(response.content)
    print(json.dumps({"bytes": len(response.content)}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("task")
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--peer-claims", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--html")
    parser.add_argument("--host", default="testserver")
    parser.add_argument("--stack", action="store_true")
    parser.add_argument("--contender", choices=["limit", "ours"])
    parser.add_argument("--directory")
    args = parser.parse_args()
    tasks = {
        "import": task_import,
        "import-peak": task_import_peak,
        "build-render": task_build_render,
        "probe-render": task_probe_render,
        "probe-download": task_probe_download,
        "build-admin": task_build_admin,
        "probe-admin": task_probe_admin,
        "probe-pages": task_probe_pages,
        "prepare-serve": task_prepare_serve,
    }
    tasks[args.task](args)


if __name__ == "__main__":
    main()
