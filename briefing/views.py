"""Public reader views. Placeholder until the public-site work lands in this session."""

from django.http import Http404


def _placeholder(request, *args, **kwargs):
    raise Http404("The public site is being built.")


home = briefing_list = briefing_detail = initiative_list = initiative_detail = _placeholder
organization_list = organization_detail = source_list = source_detail = _placeholder
claim_list = claim_detail = search = _placeholder
