"""
The admin's security headers: its own Content Security Policy (as strict as the admin allows),
nosniff, Referrer-Policy and X-Frame-Options, on every kind of admin page, and a real Chromium
that uses the admin (autocomplete, prepopulated slugs, collapsible fieldsets, import, export,
history) without a single CSP violation.
"""

import base64
import hashlib

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests import factories as f

PASSWORD = "correct horse battery staple"
# sha256 of import-export's onchange="onSelectToggleChange(event)", the one inline handler.
EXPORT_TOGGLE = (
    "'sha256-"
    + base64.b64encode(hashlib.sha256(b"onSelectToggleChange(event)").digest()).decode()
    + "'"
)


def admin_urls(claim):
    return [
        reverse("admin:index"),
        reverse("admin:curation_claim_changelist"),
        reverse("admin:curation_claim_change", args=[claim.pk]),
        reverse("admin:curation_claim_add"),
        reverse("admin:curation_claim_history", args=[claim.pk]),
        reverse("admin:curation_claim_import"),
        reverse("admin:curation_claim_export"),
        reverse("admin:curation_claim_recover_list"),
        reverse("admin:curation_topic_add"),
        reverse("admin:curation_source_change", args=[claim.source.pk]),
        reverse("admin:curation_briefing_changelist"),
        reverse("admin:password_change"),
    ]


@pytest.mark.django_db
def test_every_admin_page_sends_the_admin_policy_and_security_headers(reviewer_client):
    claim = f.ClaimFactory()
    pages = [(Client(), reverse("admin:login"))] + [(reviewer_client, u) for u in admin_urls(claim)]
    for browser_client, url in pages:
        response = browser_client.get(url)
        assert response.status_code == 200, url
        csp = response["Content-Security-Policy"]
        directives = {part.split()[0]: part.split()[1:] for part in csp.split("; ") if part.strip()}
        assert directives["default-src"] == ["'self'"], url
        # No inline script, no eval; one inline handler of import-export's, by its hash.
        assert directives["script-src"] == ["'self'", "'unsafe-hashes'", EXPORT_TOGGLE], url
        assert directives["style-src"] == ["'self'"], url  # no <style> element
        assert directives["style-src-attr"] == ["'unsafe-inline'"], url
        assert directives["object-src"] == ["'none'"], url
        assert directives["frame-ancestors"] == ["'none'"], url
        assert directives["form-action"] == ["'self'"], url
        assert directives["base-uri"] == ["'none'"], url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["X-Frame-Options"] == "DENY", url


@pytest.mark.django_db
def test_admin_error_pages_carry_the_policy_too(reviewer_client):
    response = reviewer_client.get("/admin/curation/claim/999999/change/", follow=False)
    assert response.status_code in (302, 404)
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "Content-Security-Policy" in reviewer_client.get("/admin/nothing-here/")


@pytest.mark.django_db
def test_public_pages_keep_their_own_stricter_policy(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "style-src 'self'" in csp and "unsafe-inline" not in csp


# In a real browser -----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_admin_works_in_chromium_without_a_csp_violation(browser, live_server):
    User.objects.create_superuser("root", password=PASSWORD)
    topic = f.TopicFactory(slug="compute", name="Compute")
    claim = f.ClaimFactory(key="fund")
    claim.topics.add(topic)
    f.OrganizationFactory(slug="cyberport", name="Cyberport")

    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    violations, errors = [], []
    page.on(
        "console",
        lambda m: (
            (violations if "Content Security Policy" in m.text else errors).append(
                f"{page.url}: {m.text[:200]}"
            )
            if m.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    # The admin has no favicon; any other failed load is a problem.
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    # Every violation, also those the console does not show (style attributes, images).
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    try:
        page.goto("/admin/login/")
        page.fill("#id_username", "root")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/")

        for url in admin_urls(claim):
            response = page.goto(url)
            assert response.status == 200, url
            assert "script-src 'self'" in response.headers["content-security-policy"]

        # Prepopulated slug (admin/js/prepopulate.js) works under the policy.
        page.goto(reverse("admin:curation_topic_add"))
        page.locator("#id_name").press_sequentially("Talent and skills")
        assert page.input_value("#id_slug") == "talent-and-skills"

        # Autocomplete (select2, fetching from the admin) works under the policy.
        page.goto(reverse("admin:curation_claim_change", args=[claim.pk]))
        page.click("#id_organizations + .select2 .select2-selection")
        page.keyboard.type("Cyber")
        page.wait_for_selector(".select2-results__option >> text=Cyberport", timeout=10_000)
        page.keyboard.press("Escape")

        # Export's "Select all" (the hashed inline handler) unticks every field.
        page.goto(reverse("admin:curation_claim_export"))
        page.click("input.select-toggle")
        assert page.locator(".selectable-field-export-row input:checked").count() == 0

        # Collapsible fieldsets and the history and recovery screens.
        page.goto(reverse("admin:curation_source_change", args=[claim.source.pk]))
        page.goto(reverse("admin:curation_claim_history", args=[claim.pk]))
    finally:
        context.close()

    assert violations == []
    assert [e for e in errors if "Failed to load resource" not in e] == []
