"""The reader site's template tags and filters: thin names over `briefing`'s modules."""

from django import template

from .. import charts, figures, highlighting, links

register = template.Library()


@register.filter
def figure(claim, compact=False):
    """`{{ claim|figure }}`: its value in its unit; `{{ claim|figure:True }}` compact."""
    return figures.figure(claim, compact=bool(compact))


register.filter("attribute_label", figures.attribute_label)
register.filter("http_url", links.http_url)


@register.simple_tag
def site_nav(url_name):
    """`{% site_nav request.resolver_match.url_name as links %}`: the main navigation."""
    return links.site_nav(url_name)


@register.simple_tag
def highlighted(source, claims):
    """`{% highlighted source claims as pieces %}`: its text in pieces, its quotes marked."""
    return highlighting.highlight_quotes(source.text, claims)


@register.simple_tag
def figure_chart(series):
    return charts.line_chart(series)
