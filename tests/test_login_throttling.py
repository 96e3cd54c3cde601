"""Admin login throttling: repeated wrong passwords pause logging in, clearly and for a while."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from briefing.security import client_ip
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories' password
LOGIN = reverse("admin:login") + "?next=" + reverse("admin:index")


@pytest.fixture
def rita(db):
    return factories.reviewer(username="rita")


def log_in(client, username, password, address="127.0.0.1", **headers):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def logged_in(client):
    return client.get(reverse("admin:index")).status_code == 200


def fail(client, times, username="rita", address="127.0.0.1", **headers):
    for _ in range(times):
        response = log_in(client, username, "wrong password", address, **headers)
        assert response.status_code in (200, 429)
        assert not logged_in(client)
    return response


def test_wrong_passwords_below_the_limit_show_the_normal_error(client, rita):
    response = fail(client, settings.AXES_FAILURE_LIMIT - 1)
    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.content.decode()


def test_at_the_limit_even_the_right_password_is_refused_with_a_clear_message(client, rita):
    fail(client, settings.AXES_FAILURE_LIMIT)

    response = log_in(client, "rita", PASSWORD)

    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many failed logins" in html
    assert f"there were {settings.AXES_FAILURE_LIMIT}" in html
    assert "Try again in 15 minutes" in html
    assert not logged_in(client)
    # The page is the admin's own, with the admin's security headers.
    assert "Briefing: editorial workspace" in html
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_user_name_is_paused_from_every_address(client, rita):
    for n in range(settings.AXES_FAILURE_LIMIT):
        fail(client, 1, address=f"198.51.100.{n + 1}")

    assert log_in(client, "rita", PASSWORD, address="203.0.113.9").status_code == 429
    assert not logged_in(client)


def test_the_address_is_paused_for_every_user_name(client, rita):
    for n in range(settings.AXES_FAILURE_LIMIT):
        fail(client, 1, username=f"guess{n}", address="198.51.100.7")

    assert log_in(client, "rita", PASSWORD, address="198.51.100.7").status_code == 429
    assert not logged_in(client)
    # Another address is not affected.
    assert log_in(client, "rita", PASSWORD, address="203.0.113.9").status_code == 302
    assert logged_in(client)


def test_after_the_cool_off_the_right_password_logs_in(client, rita):
    fail(client, settings.AXES_FAILURE_LIMIT)
    assert log_in(client, "rita", PASSWORD).status_code == 429

    # Fifteen minutes and a second later.
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    response = log_in(client, "rita", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert logged_in(client)


def test_an_administrator_can_lift_the_pause(client, rita):
    fail(client, settings.AXES_FAILURE_LIMIT)
    call_command("axes_reset_username", "rita")
    call_command("axes_reset_ip", "127.0.0.1")

    assert log_in(client, "rita", PASSWORD).status_code == 302
    assert logged_in(client)


def test_a_successful_login_clears_the_count(client, rita):
    fail(client, settings.AXES_FAILURE_LIMIT - 1)
    assert log_in(client, "rita", PASSWORD).status_code == 302
    client.post(reverse("admin:logout"))

    fail(client, settings.AXES_FAILURE_LIMIT - 1)
    assert log_in(client, "rita", PASSWORD).status_code == 302
    assert logged_in(client)


def test_every_failure_is_logged_with_user_name_address_and_time(client, rita):
    before = timezone.now()
    fail(client, 2, address="198.51.100.3")

    failures = AccessFailureLog.objects.order_by("attempt_time")
    assert [(f.username, f.ip_address) for f in failures] == [("rita", "198.51.100.3")] * 2
    assert all(f.attempt_time >= before for f in failures)


def test_behind_a_proxy_the_configured_header_names_the_client(client, rita, settings):
    settings.BRIEFING_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.BRIEFING_TRUSTED_PROXY_COUNT = 1
    # Every request comes from the proxy (127.0.0.1); the proxy appends the real client.
    for n in range(settings.AXES_FAILURE_LIMIT):
        fail(client, 1, username=f"guess{n}", HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert AccessFailureLog.objects.filter(ip_address="198.51.100.7").count() == 5
    # That client is paused; a reader behind the same proxy is not.
    assert log_in(client, "rita", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
    assert log_in(client, "rita", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 302


@pytest.mark.parametrize(
    ("header", "count", "meta", "expected"),
    [
        ("", 1, {"HTTP_X_FORWARDED_FOR": "198.51.100.1"}, "10.0.0.1"),  # header not trusted
        ("HTTP_X_FORWARDED_FOR", 1, {"HTTP_X_FORWARDED_FOR": "198.51.100.1"}, "198.51.100.1"),
        # A client that writes its own X-Forwarded-For cannot choose its address.
        (
            "HTTP_X_FORWARDED_FOR",
            1,
            {"HTTP_X_FORWARDED_FOR": "1.2.3.4, 198.51.100.1"},
            "198.51.100.1",
        ),
        (
            "HTTP_X_FORWARDED_FOR",
            2,
            {"HTTP_X_FORWARDED_FOR": "1.2.3.4, 198.51.100.1, 10.0.0.2"},
            "198.51.100.1",
        ),  # fmt: skip
        ("HTTP_X_REAL_IP", 1, {"HTTP_X_REAL_IP": "198.51.100.1"}, "198.51.100.1"),
        ("HTTP_X_REAL_IP", 1, {}, "10.0.0.1"),  # not through the proxy
        # What is not an address names no client.
        ("HTTP_X_FORWARDED_FOR", 1, {"HTTP_X_FORWARDED_FOR": "not-an-address"}, "10.0.0.1"),
        ("HTTP_X_FORWARDED_FOR", 1, {"HTTP_X_FORWARDED_FOR": "1.2.3.4, <x>"}, "10.0.0.1"),
        ("HTTP_X_REAL_IP", 1, {"HTTP_X_REAL_IP": "999.1.1.1"}, "10.0.0.1"),
        ("HTTP_X_FORWARDED_FOR", 1, {"HTTP_X_FORWARDED_FOR": "2001:db8::1"}, "2001:db8::1"),
    ],
)
def test_the_client_address_is_read_as_configured(settings, header, count, meta, expected):
    settings.BRIEFING_CLIENT_IP_HEADER = header
    settings.BRIEFING_TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", **meta)
    assert client_ip(request) == expected


def test_a_malformed_proxy_header_is_no_address_not_a_server_error(client, rita, settings):
    settings.BRIEFING_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    response = fail(client, 1, HTTP_X_FORWARDED_FOR="not-an-address")
    assert response.status_code == 200
    assert AccessFailureLog.objects.get().ip_address == "127.0.0.1"


def test_the_shipped_proxy_sets_the_client_address_itself():
    """nginx passes a request's own X-Forwarded-For on unless told to set it: then a client
    chooses the address login throttling counts."""
    config = (settings.BASE_DIR / "deploy" / "nginx.conf").read_text()
    assert re.search(r"^\s*proxy_set_header\s+X-Forwarded-For\s+\$remote_addr;", config, re.M)
