"""
The admin site: Django's, with the editors' desk as its home page (`curation.admin.desk`).

Installed as `admin.site` by `curation.apps.EditorialAdminConfig`. It lives outside the
`curation.admin` package: the site is made when the first admin registers, and importing that
package registers admins, which would make a second site.
"""

from django.contrib import admin


class EditorialSite(admin.AdminSite):
    site_header = "Briefing: editorial workspace"
    site_title = "Briefing admin"
    index_title = "Editors' desk"
    index_template = "curation/desk.html"
    # The desk and the breadcrumbs lead everywhere; the room goes to the lists' columns.
    enable_nav_sidebar = False

    def index(self, request, extra_context=None):
        from .admin.desk import panels

        context = {"panels": panels(request), **(extra_context or {})}
        return super().index(request, context)
