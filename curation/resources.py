"""
The CSV resources and functions, by the names PRODUCT.md and the commands use
(`python manage.py import curation.resources.ClaimResource claims.csv`). They live in the
`curation.csv` package, whose docstring says which module does what.
"""

from .csv.briefings import BriefingResource, SectionResource
from .csv.bundle import BUNDLE, BundleReport, FileSummary, export_bundle, import_bundle
from .csv.conflicts import ConflictExplanationResource
from .csv.engine import CsvResource
from .csv.files import (
    CSVFile,
    CsvFileError,
    csv_lines,
    escape_formula,
    read_csv,
    read_csv_file,
    unescape_formula,
    write_csv,
)
from .csv.problems import ImportProblems, Problem
from .csv.resources import (
    ClaimResource,
    ContradictionResource,
    InitiativeResource,
    OrganizationResource,
    ReviewResource,
    SourceResource,
    TopicResource,
)
from .csv.reviews import ReviewCommentResource, RevisionResource

__all__ = [
    "BUNDLE",
    "BriefingResource",
    "BundleReport",
    "CSVFile",
    "ClaimResource",
    "ConflictExplanationResource",
    "ContradictionResource",
    "CsvFileError",
    "CsvResource",
    "FileSummary",
    "ImportProblems",
    "InitiativeResource",
    "OrganizationResource",
    "Problem",
    "ReviewCommentResource",
    "ReviewResource",
    "RevisionResource",
    "SectionResource",
    "SourceResource",
    "TopicResource",
    "csv_lines",
    "escape_formula",
    "export_bundle",
    "import_bundle",
    "read_csv",
    "read_csv_file",
    "unescape_formula",
    "write_csv",
]
