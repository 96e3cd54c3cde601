"""
Links: the site's main navigation, and which links out to a source's original are safe to print.
"""

from dataclasses import dataclass

# The site's sections, in its main navigation: (URL name, label, the pages that are in it).
SITE_NAV = (
    ("briefing:home", "Latest briefing", {"home"}),
    ("briefing:briefing-list", "Editions", {"briefing-list", "briefing-detail"}),
    ("briefing:initiative-list", "Initiatives", {"initiative-list", "initiative-detail"}),
    ("briefing:organization-list", "Organisations", {"organization-list", "organization-detail"}),
    ("briefing:claim-list", "Claims", {"claim-list", "claim-detail"}),
    ("briefing:source-list", "Sources", {"source-list", "source-detail"}),
    ("briefing:data", "Data", {"data"}),
)


@dataclass(frozen=True)
class NavLink:
    url_name: str
    label: str
    current: bool  # the page shown is in this section (`aria-current`)


def site_nav(url_name):
    """The main navigation's links, as seen from the page with that URL name."""
    return [NavLink(name, label, url_name in pages) for name, label, pages in SITE_NAV]


def http_url(url):
    """The URL if it is http(s), else empty: links to originals never run script."""
    url = (url or "").strip()
    return url if url.lower().startswith(("http://", "https://")) else ""
