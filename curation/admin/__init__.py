"""
The editors' and reviewers' workspace: `base` (what every editorial admin shares), `subjects`
(topics, organisations, sources, initiatives), `claims`, `briefings`, `review` (the review
queue and each revision's review page), and `conflicts` (conflicts a reviewer has explained).

Every editorial model gets history with revert (django-simple-history), a stale-edit check
(`VersionedForm`), and a changelist that costs a fixed number of queries.

The site itself (`curation.admin_site.EditorialSite`, installed as `admin.site` by
`curation.apps.EditorialAdminConfig`) opens on the editors' desk (`desk`): what waits for the
user and for the team.
"""

# Each module registers its admins.
from . import briefings, claims, conflicts, review, subjects  # noqa: F401
