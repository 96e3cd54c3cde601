from django.contrib import admin
from django.urls import include, path

from curation.admin.review import notification_settings

from . import changes, citing, downloads, fork, preview, views

public_patterns = [
    path("", views.home, name="home"),
    path("briefings/", views.briefing_list, name="briefing-list"),
    path("briefings/<slug:slug>/", views.briefing_detail, name="briefing-detail"),
    path("briefings/<slug:slug>/changes/", changes.briefing_changes, name="briefing-changes"),
    path("briefings/<slug:slug>/feed/", changes.briefing_feed, name="briefing-feed"),
    path(
        "briefings/<slug:slug>/citation.<str:fmt>",
        citing.briefing_citation,
        name="briefing-citation",
    ),
    path("feed/", changes.briefing_feed, name="feed"),
    path("initiatives/", views.initiative_list, name="initiative-list"),
    path("initiatives/<slug:slug>/", views.initiative_detail, name="initiative-detail"),
    path("organizations/", views.organization_list, name="organization-list"),
    path("organizations/<slug:slug>/", views.organization_detail, name="organization-detail"),
    path("sources/", views.source_list, name="source-list"),
    path("sources/<slug:key>/", views.source_detail, name="source-detail"),
    path("claims/", views.claim_list, name="claim-list"),
    path("claims/<slug:key>/", views.claim_detail, name="claim-detail"),
    path("claims/<slug:key>/citation.<str:fmt>", citing.claim_citation, name="claim-citation"),
    path("search/", views.search, name="search"),
    path("how-to-read/", views.how_to_read, name="how-to-read"),
    path("data/", downloads.index, name="data"),
    path(f"data/{fork.FILE_NAME}", fork.download, name="data-bundle"),
    path("data/<str:dataset>.<str:fmt>", downloads.download, name="data-download"),
]

urlpatterns = [
    path(
        "admin/notifications/",
        admin.site.admin_view(notification_settings),
        name="notification-settings",
    ),
    path(
        "admin/section-preview/",
        admin.site.admin_view(preview.section_preview),
        name="section-preview",
    ),
    path("admin/", admin.site.urls),
    path("", include((public_patterns, "briefing"))),
]
