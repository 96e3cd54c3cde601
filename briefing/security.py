"""
Security plumbing that settings point at: the client address for login throttling, and the
admin's own Content Security Policy.

Client address
    django-axes locks out an address after repeated wrong passwords, so it must see the reader's
    address, not the proxy's. By default that is REMOTE_ADDR (a server reached directly). Behind
    a reverse proxy, set DJANGO_CLIENT_IP_HEADER to the header the proxy sets, as Django names it
    in request.META (HTTP_X_FORWARDED_FOR, HTTP_X_REAL_IP…). For X-Forwarded-For, each proxy
    appends the address it received from, so the client is the entry DJANGO_TRUSTED_PROXY_COUNT
    places from the right (default 1: one proxy of ours in front); entries further left were
    written by the client and are never trusted. A request that did not come through the proxy
    (no header), or whose entry is not an IP address, falls back to REMOTE_ADDR. The proxy must
    set the header itself rather than pass on the client's: deploy/nginx.conf sets
    X-Forwarded-For to the address it was reached from, to pair with
    DJANGO_CLIENT_IP_HEADER=HTTP_X_FORWARDED_FOR and DJANGO_TRUSTED_PROXY_COUNT=1.

Admin Content Security Policy
    The public policy (django-csp, CONTENT_SECURITY_POLICY) leaves /admin/ out; this middleware
    gives the admin a policy of its own, ADMIN_CONTENT_SECURITY_POLICY in settings. Django's
    admin, django-import-export and django-simple-history load every script from files, so
    script-src is 'self' alone; a few of their templates use style="…" attributes, so only
    style attributes (not <style> elements) are allowed inline.
"""

import ipaddress

from csp.constants import HEADER
from csp.utils import build_policy, default_config
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import BadRequest
from django.shortcuts import render
from django.urls import reverse


def client_ip(request):
    """The client's address as the configured proxy reports it (see the module docstring)."""
    header = getattr(settings, "BRIEFING_CLIENT_IP_HEADER", "")
    remote = request.META.get("REMOTE_ADDR")
    if not header:
        return remote
    raw = request.META.get(header, "")
    addresses = [part.strip() for part in raw.split(",") if part.strip()]
    if not addresses:
        return remote
    count = max(1, getattr(settings, "BRIEFING_TRUSTED_PROXY_COUNT", 1))
    # Fewer entries than proxies: the request skipped a proxy; the left-most is all there is.
    address = addresses[-count] if len(addresses) >= count else addresses[0]
    # What is not an address names no client (the login records store addresses): as if the
    # request had come without the header.
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return remote


def lockout_response(request, original_response=None, credentials=None):
    """
    django-axes' response to a locked-out login: our admin page saying why and for how long.

    429 Too Many Requests, so scripts and monitors see a refusal, not a login page.
    """
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {
        **admin.site.each_context(request),
        "title": "Too many failed logins",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": minutes,
    }
    return render(request, "curation/lockout.html", context, status=429)


class AdminContentSecurityPolicyMiddleware:
    """Sets the admin's own Content-Security-Policy on responses under the admin's URL."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._prefix = None

    def prefix(self):
        if self._prefix is None:
            self._prefix = reverse("admin:index")
        return self._prefix

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(self.prefix()) and HEADER not in response:
            config = default_config(settings.ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"])
            response[HEADER] = build_policy(config=config)
        return response


def refuse_nul_characters(get_response):
    """
    Answers 400 to a query string with a NUL character (`?status__exact=%00`), which no form or
    link makes: PostgreSQL cannot hold one in text, so a filter or search with it failed with a
    server error. (Forms refuse them in submitted fields; imports in files.)
    """

    def middleware(request):
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                raise BadRequest("A NUL character in the query string.")
        return get_response(request)

    return middleware
