"""
CSV import and export of the editorial data, with django-import-export.

- `files`: reading and writing CSV files, their limits, and formula-safe cells.
- `columns`: how each kind of cell is read and written (widgets), and the fields made with them.
- `problems`: what a refused import reports, line by line.
- `engine`: `CsvResource`, the import engine (all-or-nothing, preloaded lookups, bulk writes).
- `history`: one history record per imported row, written for the whole file at once.
- `resources`: one resource per file, declaring its columns; `briefings`: those of the
  briefings and their sections, which only the bundle carries; `reviews`: the revisions and
  review comments, which only the bundle carries too; `conflicts`: the conflicts between
  claims a reviewer has explained, the bundle's too.
- `bundle`: every file at once, in dependency order (`import_bundle`, `export_bundle`).
- `admin`: import and export in the admin.

`curation.resources` names the public parts, as PRODUCT.md and the `import` command use them.
"""
