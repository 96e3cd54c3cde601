"""
Queries that pages run on every request, turned into SQL once.

Django builds and compiles a QuerySet's SQL each time it is evaluated. For the few queries a
public page runs on every request, whose shape never changes, that cost about as much as the
database took to answer them: a briefing page spent 0.7 ms of its 4.4 building and compiling
its three. `CompiledQuery` compiles a `values_list()` QuerySet once per database and runs that
SQL again with new values for its `Param`s.

What changes between runs:

- `Param("name")` stands for one value, anywhere a filter takes an expression:
  `.filter(briefing__slug=Param("slug"))`, run with `slug="hk-ai-2025"`.
- `field__any_of=Param("keys")` keeps the rows whose field is one of a list given at run time.
  The list is a single parameter (an array on PostgreSQL, a JSON array read by `json_each` on
  SQLite), so the SQL is the same however many values it holds. `any_of` also takes a plain
  list, where `__in` would send a parameter per value: PostgreSQL takes at most 65,535 in a
  statement, SQLite 32,766.

Values are passed to the database as given: strings, integers, and lists of them.

On PostgreSQL the compiled SQL is sent with its parameters apart (bound on the server), so
psycopg prepares it once per connection, after `prepare_threshold` runs (the database OPTIONS,
`settings.py`), and the server no longer parses and plans it on every request. Django's own
cursors bind parameters on the client, into SQL that differs with every value, which cannot be
prepared; they are left as they are, as statements with more than 65,535 parameters (large
bulk inserts) can only be sent that way.
"""

import json
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import NotSupportedError, connections
from django.db.models import Expression, Field, Lookup


@dataclass(frozen=True)
class Slot:
    """Where a `Param`'s value goes in compiled SQL's parameters, and whether it is a list."""

    name: str
    many: bool = False

    def encode(self, value, vendor):
        if not self.many:
            return value
        values = list(value)
        return values if vendor == "postgresql" else json.dumps(values)


class Param(Expression):
    """A value given when a `CompiledQuery` runs, rather than when its QuerySet is built."""

    def __init__(self, name, output_field=None):
        super().__init__(output_field=output_field)
        self.name = name

    def __repr__(self):
        return f"{type(self).__name__}({self.name!r})"

    def as_sql(self, compiler, connection):
        return "%s", [Slot(self.name)]


@Field.register_lookup
class AnyOf(Lookup):
    """`field__any_of=values`: the field's value is one of `values`, sent as one parameter."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        if isinstance(self.rhs, Param):
            return self.rhs
        field = self.lhs.output_field
        return [field.get_prep_value(value) for value in self.rhs if value is not None]

    def rhs_param(self, connection):
        if isinstance(self.rhs, Param):
            return Slot(self.rhs.name, many=True)
        return Slot("", many=True).encode(self.rhs, connection.vendor)

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, self.rhs_param(connection))

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return (
            f"{lhs} IN (SELECT value FROM json_each(%s))",
            (*lhs_params, self.rhs_param(connection)),
        )

    def as_sql(self, compiler, connection):
        raise NotSupportedError(f"any_of is not implemented for {connection.vendor}.")


@dataclass
class Compiled:
    sql: str | None  # None: the query can match no row
    params: list
    slots: list  # (position in params, Slot)
    converters: list  # (column, converters, expression), as Django's compiler applies them


class CompiledQuery:
    """
    A `values_list()` QuerySet of fields, compiled to SQL once per database, run with the values
    of its `Param`s: `rows(**values)` gives what `list(queryset)` would, as lists.

    Keep one per query shape (a module-level constant): compiling is what it saves.
    """

    def __init__(self, queryset):
        query = queryset.query
        if not query.values_select or query.annotation_select or query.extra_select:
            raise ValueError("CompiledQuery runs a values_list() of fields, without annotations.")
        self.queryset = queryset
        self._compiled = {}  # database alias -> Compiled

    def rows(self, **values):
        alias = self.queryset.db
        compiled = self._compiled.get(alias) or self._compile(alias)
        if compiled.sql is None:
            return []
        names = {slot.name for _, slot in compiled.slots}
        if names != values.keys():
            raise TypeError(f"This query runs with {sorted(names)}, not {sorted(values)}.")
        connection = connections[alias]
        params = list(compiled.params)
        for position, slot in compiled.slots:
            params[position] = slot.encode(values[slot.name], connection.vendor)
        with _cursor(connection) as cursor:
            cursor.execute(compiled.sql, params)
            rows = [list(row) for row in cursor.fetchall()]
        for column, converters, expression in compiled.converters:
            for row in rows:
                value = row[column]
                for converter in converters:
                    value = converter(value, expression, connection)
                row[column] = value
        return rows

    def _compile(self, alias):
        compiler = self.queryset.query.get_compiler(alias)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            sql, params = None, []
        expressions = [expression for expression, _, _ in compiler.select]
        if compiler.has_extra_select or compiler.has_composite_fields(expressions):
            # Columns added for ordering, or pairs of columns for one field: Django's iterables
            # reshape such rows, which these are not.
            raise ValueError("CompiledQuery gives rows of the columns it selects, one per field.")
        params = list(params)
        slots = [(i, p) for i, p in enumerate(params) if isinstance(p, Slot)]
        converters = [
            (column, converters, expression)
            for column, (converters, expression) in compiler.get_converters(expressions).items()
        ]
        self._compiled[alias] = compiled = Compiled(sql, params, slots, converters)
        return compiled


def _cursor(connection):
    """
    A cursor for compiled SQL, wrapped as Django's are. On PostgreSQL, one that binds on the
    server, except while Django logs queries (debug, or a test counting them): its log would
    not show a prepared statement's SQL.
    """
    if connection.vendor != "postgresql" or connection.queries_logged:
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    # What `connection.cursor()` does, with the other kind of psycopg cursor.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        return connection.make_cursor(ServerBindingCursor(connection.connection))
