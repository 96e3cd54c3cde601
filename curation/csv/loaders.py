"""
Loading the rows a file names that are already stored, for the import engine (`engine`).

Memory
    What an import keeps grows with a chunk of rows, not with the file, beyond the file's cells
    themselves: stored rows are loaded a chunk of the file at a time (`PreloadingInstanceLoader`),
    with their many-to-many links read as pairs of ids; the engine writes and records new rows a
    chunk at a time.

Unchanged rows
    Without a preview and not by a user, a row whose cells are exactly those an export of its
    stored row writes is skipped before it is read into the instance (`unchanged`, called by
    `CsvResource.import_row` for resources with `compare_cells`): an export re-imports
    unchanged, so such a row is one the library would skip; comparing cells costs a fraction of
    reading and comparing the row. The cells are compared as they are, not as a digest, so no
    changed row can pass for unchanged. Any other row takes the library's path, which still
    finds an unchanged row by its values.
"""

from import_export.instance_loaders import CachedInstanceLoader, ModelInstanceLoader

from .columns import Listed, RelatedManyField


def row_dicts(dataset):
    """The rows of `dataset` as dicts, one at a time (`dataset.dict` builds them all at once)."""
    headers = dataset.headers
    for values in dataset:
        yield dict(zip(headers, values, strict=True))


class PreloadingInstanceLoader(CachedInstanceLoader):
    """
    The library's cached loader, loading the stored rows a chunk of the file's rows at a time
    (`CHUNK`), queried in chunks of keys under the database's limit on query parameters: the
    rows of one chunk are in memory at a time, however long the file. For a resource that
    compares cells (`CsvResource.compare_cells`), the cells an export would write of each stored
    row are kept with it (`unchanged`).
    """

    CHUNK = 2000

    def __init__(self, resource, dataset=None):
        ModelInstanceLoader.__init__(self, resource, dataset)
        self.pk_field = resource.fields[resource.get_import_id_fields()[0]]
        # The chunk of the file each key is in: rows are imported in order, so each chunk is
        # loaded once.
        self.chunk_of, self.chunks = {}, []
        for number, row in enumerate(row_dicts(dataset)):
            key = self.pk_field.clean(row)
            if number % self.CHUNK == 0:
                self.chunks.append([])
            if key and key not in self.chunk_of:
                self.chunk_of[key] = len(self.chunks) - 1
                self.chunks[-1].append(key)
        self.compared = resource.compared_fields(dataset.headers)
        self.related = sorted(
            {f.attribute for f in resource.fields.values() if isinstance(f, RelatedManyField)}
        )
        self.loaded = None
        self.all_instances = {}
        self.stored_cells = {}

    def load(self, chunk):
        self.all_instances, self.stored_cells = {}, {}  # the previous chunk's rows let go first
        keys = sorted(self.chunks[chunk])
        # The many-to-many relations are read into plain lists, where the columns read them
        # (`_loaded_relations`), from pairs of ids (`links`): a prefetch builds a manager and a
        # queryset per row and relation, and every linked row once per link, which cost more
        # than reading the rows.
        queryset = self.get_queryset().prefetch_related(None)
        lookup = f"{self.pk_field.attribute}__in"
        for start in range(0, len(keys), 500):
            batch = list(queryset.filter(**{lookup: keys[start : start + 500]}))
            links = {name: self.links(name, batch) for name in self.related}
            for instance in batch:
                instance._loaded_relations = {
                    name: Listed(links[name].get(instance.pk, ())) for name in self.related
                }
                key = self.pk_field.get_value(instance)
                self.all_instances[key] = instance
                if self.compared:
                    self.stored_cells[key] = self.resource.cells_of(instance, self.compared)
        self.loaded = chunk

    def links(self, name, instances):
        """The rows linked to each of `instances` by the many-to-many field `name`, by id: the
        links read as pairs of ids, the rows from those the column's widget has loaded for the
        file (by id: a row the file does not name is loaded and kept there too)."""
        field = self.resource._meta.model._meta.get_field(name)
        through = field.remote_field.through
        source = through._meta.get_field(field.m2m_field_name()).attname
        target = through._meta.get_field(field.m2m_reverse_field_name()).attname
        pairs = through.objects.filter(**{f"{source}__in": [i.pk for i in instances]})
        pairs = list(pairs.values_list(source, target))
        widget = next(f.widget for f in self.resource.fields.values() if f.attribute == name)
        missing = sorted({pk for _, pk in pairs} - set(widget.by_id))
        for start in range(0, len(missing), 500):
            for obj in widget.model._default_manager.filter(pk__in=missing[start : start + 500]):
                widget.by_id[obj.pk] = obj
        linked = {}
        for owner, pk in pairs:
            linked.setdefault(owner, []).append(widget.by_id[pk])
        return linked

    def find(self, row):
        key = self.pk_field.clean(row)
        chunk = self.chunk_of.get(key)
        if chunk is None:
            return key, None
        if chunk != self.loaded:
            self.load(chunk)
        return key, self.all_instances.get(key)

    def get_instance(self, row):
        return self.find(row)[1]

    def unchanged(self, row):
        """The stored row, if the row's cells are those an export of it writes; else None."""
        key, instance = self.find(row)
        if instance is None:
            return None
        cells = tuple(self.resource.file_cell(f, row[f.column_name]) for f in self.compared)
        return instance if self.stored_cells.get(key) == cells else None
