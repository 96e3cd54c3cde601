"""Public data downloads. Placeholder until the CSV work lands in this session."""

from django.http import Http404


def index(request):
    raise Http404("The data downloads are being built.")


def download(request, dataset, fmt):
    raise Http404("The data downloads are being built.")
