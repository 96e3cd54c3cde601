"""
What changed: a briefing's public change log (/briefings/<slug>/changes/), edition by edition
(`curation.editions`), and Atom feeds of the editions, one per briefing
(/briefings/<slug>/feed/) and one of every published briefing (/feed/).
"""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from curation.editions import change_log, changes
from curation.models import Briefing, Edition

from . import citing
from .views import reader_page

# Editions in the site-wide feed.
FEED_LENGTH = 50


@reader_page
def briefing_changes(request, slug):
    briefing = get_object_or_404(Briefing.objects.visible(request.user.is_staff), slug=slug)
    context = {
        "briefing": briefing,
        "editions": change_log(briefing),
        "preview": not briefing.is_public,
    }
    return render(request, "briefing/briefing_changes.html", context)


def _with_changes(editions):
    """`editions`, each with `.changes` against its briefing's edition before it (one query)."""
    earlier = Edition.objects.filter(
        briefing_id__in={e.briefing_id for e in editions},
        number__in={e.number - 1 for e in editions},
    )
    previous = {(e.briefing_id, e.number): e.snapshot for e in earlier}
    for edition in editions:
        before = previous.get((edition.briefing_id, edition.number - 1))
        edition.changes = changes(before, edition.snapshot)
    return editions


class EditionFeed(Feed):
    """An Atom feed of editions, newest first, each with what changed."""

    feed_type = Atom1Feed
    description_template = "briefing/feed_edition.html"

    def get_object(self, request, slug=None):
        if slug is None:
            return None
        return get_object_or_404(Briefing.objects.public(), slug=slug)

    def title(self, briefing):
        if briefing is None:
            return f"{citing.publisher()}: new editions"
        return f"{briefing.title}: editions"

    def link(self, briefing):
        if briefing is None:
            return reverse("briefing:briefing-list")
        return reverse("briefing:briefing-changes", args=[briefing.slug])

    def subtitle(self, briefing):
        return "Each edition of a published briefing and what changed since the one before."

    def feed_copyright(self):
        return citing.licence()["name"]

    def items(self, briefing):
        editions = Edition.objects.filter(briefing__in=Briefing.objects.public())
        if briefing is not None:
            editions = editions.filter(briefing=briefing)
        editions = editions.select_related("briefing").order_by("-published_at", "-id")
        return _with_changes(list(editions[:FEED_LENGTH]))

    def item_title(self, edition):
        return f"{edition.briefing.title}: edition {edition.number}"

    def item_link(self, edition):
        return edition.get_absolute_url()

    def item_pubdate(self, edition):
        return edition.published_at

    def item_updateddate(self, edition):
        return edition.published_at

    def item_author_name(self, edition):
        return citing.publisher()


briefing_feed = reader_page(EditionFeed())
