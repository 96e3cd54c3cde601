"""
The history records of an import: one per imported row, with its many-to-many links, written a
chunk of rows at a time, as the rows are written.

django-simple-history records a row on each `save()` and once more on each change of its
many-to-many links; a new row saved by `bulk_create` gets no record at all. An import saves its
rows without those records (`skip_history_when_saving`) and then writes one per row, copied by
the database from the rows as saved (INSERT ... SELECT), so no record is built in Python: built
and inserted with `bulk_history_create`, they cost more than the import's own INSERTs. The
records of a chunk share one time (taken once its rows are saved), the records of a file one
user (the request's, as for a save in the admin) and one change reason (which file they came
from). Recorded as they go, the rows of a file are not all kept in memory to its end.
"""

from django.conf import settings
from django.db import connections
from django.utils import timezone
from simple_history import utils as history_utils

# Rows per statement: under every database's limit on query parameters.
CHUNK = 500


def history_manager(model):
    """The model's history manager, or None if its history is not recorded."""
    name = getattr(model._meta, "simple_history_manager_attribute", None)
    return getattr(model, name) if name else None


def record_history(model, saved, reason="", using="default"):
    """
    Write the history records of `saved`, rows of `model` an import has just written: "+" for
    those it created (`_created_by_import`), "~" for those it changed, each with a snapshot of
    its many-to-many links and `reason` as its change reason.
    """
    manager = history_manager(model)
    if not saved or manager is None or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history_model = manager.model
    connection = connections[using]
    when = history_model._meta.get_field("history_date").get_db_prep_value(
        timezone.now(), connection
    )
    user = history_model.get_default_history_user(saved[0])
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        # PostgreSQL costs these statements from statistics taken before the file's rows were
        # written, far above what they cost, and would compile each one to machine code first
        # (JIT, more than running it): not for the rest of this transaction.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
    for update in (False, True):
        ids = [i.pk for i in saved if i._created_by_import is not update]
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            stamp = ["~" if update else "+", getattr(user, "pk", None), reason[:100]]
            _copy_rows(model, history_model, chunk, [when, *stamp], connection)
            for field in history_model._history_m2m_fields:
                _copy_links(model, history_model, field, chunk, connection)


def _copy_rows(model, history_model, ids, stamp, connection):
    """INSERT one record per row of `ids`: its tracked columns, then `stamp`."""
    quote = connection.ops.quote_name
    history = history_model._meta
    tracked = history_model.tracked_fields
    columns = [history.get_field(f.attname).column for f in tracked] + [
        history.get_field(name).column
        for name in ("history_date", "history_type", "history_user", "history_change_reason")
    ]
    selected = [quote(f.column) for f in tracked] + ["%s"] * len(stamp)
    pk = quote(model._meta.pk.column)
    sql = (
        f"INSERT INTO {quote(history.db_table)} ({', '.join(quote(c) for c in columns)}) "
        f"SELECT {', '.join(selected)} FROM {quote(model._meta.db_table)} "
        f"WHERE {pk} IN ({', '.join(['%s'] * len(ids))}) ORDER BY {pk}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*stamp, *ids])


def _copy_links(model, history_model, field, ids, connection):
    """
    INSERT a snapshot of the rows' links of the many-to-many `field`, each pointing at its row's
    latest record: the one just written (the row was written in this transaction, so no other
    can record it before this one commits).
    """
    quote = connection.ops.quote_name
    through = field.remote_field.through._meta
    snapshot = getattr(history_model, field.name).model._meta
    history = history_model._meta
    owner = quote(through.get_field(history_utils.get_m2m_field_name(field)).column)
    columns = [snapshot.get_field(f.attname).column for f in through.fields]
    columns.append(snapshot.get_field("history").column)
    latest = (
        f"(SELECT MAX({quote(history.pk.column)}) FROM {quote(history.db_table)} "
        f"WHERE {quote(history.get_field(model._meta.pk.attname).column)} = link.{owner})"
    )
    selected = [f"link.{quote(f.column)}" for f in through.fields] + [latest]
    sql = (
        f"INSERT INTO {quote(snapshot.db_table)} ({', '.join(quote(c) for c in columns)}) "
        f"SELECT {', '.join(selected)} FROM {quote(through.db_table)} link "
        f"WHERE link.{owner} IN ({', '.join(['%s'] * len(ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
