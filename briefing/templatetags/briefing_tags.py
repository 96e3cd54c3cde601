"""The reader site's template tags and filters: thin names over the modules that do the work."""

from django import template

from curation import figures, highlighting

from .. import charts, links, reading

register = template.Library()


@register.filter
def figure(claim, compact=False):
    """`{{ claim|figure }}`: HK$3 billion; `{{ claim|figure:True }}` short, as on an axis: HK$3B."""
    return figures.figure(claim, compact=bool(compact))


register.filter("attribute_label", figures.attribute_label)


@register.filter
def figure_kind(claim):
    """`{{ claim|figure_kind }}`: what its precision makes it: "a lower bound", "a range"."""
    return figures.KINDS.get(claim.precision, "")


register.filter("http_url", links.http_url)
register.filter("status_label", reading.status_label)
register.filter("unquoted", reading.unquoted)
register.filter("readable", reading.readable)


@register.simple_tag
def site_nav(url_name):
    """`{% site_nav request.resolver_match.url_name as links %}`: the main navigation."""
    return links.site_nav(url_name)


@register.simple_tag
def highlighted(source, claims):
    """`{% highlighted source claims as pieces %}`: its text in pieces, its quotes marked."""
    return highlighting.highlight_quotes(source.text, claims)


@register.simple_tag
def chart(series):
    """`{% chart series as chart %}`: a series laid out for the SVG of includes/figures.html."""
    return charts.line_chart(series)


@register.tag
def once(parser, token):
    """
    `{% once value… %}…{% endonce %}`: its content rendered once per page for each set of values,
    and repeated: for markup that depends on those values alone and recurs, as a source's
    reference does in every note citing it on a long briefing.
    """
    values = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endonce",))
    parser.delete_first_token()
    return OnceNode(values, nodelist)


class OnceNode(template.Node):
    def __init__(self, values, nodelist):
        self.values = values
        self.nodelist = nodelist

    def render(self, context):
        # The render context's first level lasts as long as the page's rendering (as for
        # `{% include %}`'s templates): nothing is kept from one page to the next.
        made = context.render_context.dicts[0].setdefault(self, {})
        key = tuple(value.resolve(context) for value in self.values)
        if key not in made:
            made[key] = self.nodelist.render(context)
        return made[key]
