"""
Long lists of values sent to the database a batch at a time.

`filter(key__in=keys)` sends one parameter per value, and a statement may carry at most 65,535
on PostgreSQL and 32,766 on SQLite. Where a list comes from what editors wrote (the claims a
briefing cites, and what those claims lead to) it has no such bound, so it is sent in batches
of `SIZE` values: one query for a list of up to `SIZE`, one more for each `SIZE` after that.
"""

SIZE = 10_000


def batches(values):
    """`values` as lists of at most `SIZE` values, in order; none for no values."""
    values = list(values)
    return [values[start : start + SIZE] for start in range(0, len(values), SIZE)]


def filter_in(queryset, field, values):
    """The rows of `queryset` whose `field` is one of `values`, read a batch of values at a time."""
    found = []
    for batch in batches(values):
        found.extend(queryset.filter(**{f"{field}__in": batch}))
    return found
