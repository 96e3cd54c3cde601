"""
The editors' and reviewers' workspace: `base` (what every editorial admin shares), `subjects`
(topics, organisations, sources, initiatives), `claims`, `briefings`, and `review` (the review
queue and each revision's review page).

Every editorial model gets history with revert (django-simple-history), a stale-edit check
(`VersionedForm`), and a changelist that costs a fixed number of queries.
"""

from django.contrib import admin

# Each module registers its admins.
from . import briefings, claims, review, subjects  # noqa: F401

admin.site.site_header = "Briefing: editorial workspace"
admin.site.site_title = "Briefing admin"
admin.site.index_title = "Sources, claims and briefings"
