"""Signing in to the admin: wrong passwords are throttled (django-axes, by username and
address), and the published demo password signs nobody in with DEBUG off."""

import time
from datetime import timedelta

import pytest

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
ATTACKER = "203.0.113.7"


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser("chief", "chief@example.com", "right-pw")


def sign_in(client, username, password, address=ATTACKER, **headers):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
        headers=headers,
    )


def signed_in(response):
    return response.status_code == 302 and response["Location"] == "/admin/"


def fail(client, times, username="chief", address=ATTACKER, **headers):
    for _ in range(times):
        response = sign_in(client, username, "wrong", address, **headers)
        assert not signed_in(response)
    return response


def test_after_five_wrong_passwords_the_right_one_is_refused_too(client, admin, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    fail(client, 4)
    assert signed_in(sign_in(client, "chief", "right-pw"))  # four: not yet, and resets
    client.logout()

    fail(client, 5)
    response = sign_in(client, "chief", "right-pw")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-in attempts" in page and "15 minutes" in page
    assert 'name="password"' in page  # Wagtail's sign-in page, with the reason
    assert "_auth_user_id" not in client.session


def test_another_user_or_another_address_is_not_locked_out(client, admin, django_user_model):
    django_user_model.objects.create_superuser("deputy", "deputy@example.com", "deputy-pw")
    fail(client, 6)
    assert signed_in(sign_in(client, "deputy", "deputy-pw"))
    client.logout()
    assert signed_in(sign_in(client, "chief", "right-pw", address="198.51.100.20"))


def test_a_forged_forwarded_for_header_does_not_escape_the_lockout(client, admin):
    """No trusted proxy (development, tests): X-Forwarded-For is the client's own claim."""
    for n in range(6):
        sign_in(client, "chief", "wrong", **{"X-Forwarded-For": f"10.0.0.{n}"})
    response = sign_in(client, "chief", "right-pw", **{"X-Forwarded-For": "10.9.9.9"})
    assert response.status_code == 429


def test_behind_one_proxy_the_address_it_adds_is_the_client(client, admin, settings):
    """Production: nginx appends the address it was reached from; entries left of it are
    the client's to forge, and all of them reach Django from nginx's own address."""
    settings.TRUSTED_PROXY_COUNT = 1
    nginx = "127.0.0.1"
    for n in range(6):
        forwarded = f"10.0.0.{n}, {ATTACKER}"
        sign_in(client, "chief", "wrong", nginx, **{"X-Forwarded-For": forwarded})
    forged = {"X-Forwarded-For": f"10.9.9.9, {ATTACKER}"}
    assert sign_in(client, "chief", "right-pw", nginx, **forged).status_code == 429
    # Another client behind the same nginx is not locked out.
    assert signed_in(sign_in(client, "chief", "right-pw", nginx, **{"X-Forwarded-For": "1.2.3.4"}))


def test_the_lockout_ends_after_the_cool_off(client, admin, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    fail(client, 5)
    assert sign_in(client, "chief", "right-pw").status_code == 429
    time.sleep(1.2)
    assert signed_in(sign_in(client, "chief", "right-pw"))


def test_the_published_demo_password_signs_nobody_in_with_debug_off(
    client, django_user_model, settings
):
    django_user_model.objects.create_superuser("admin", "admin@example.com", "catalogue-admin")
    settings.DEBUG = False  # production
    response = sign_in(client, "admin", "catalogue-admin")
    assert response.status_code == 200 and not signed_in(response)
    assert "_auth_user_id" not in client.session

    settings.DEBUG = True  # `make run`: the demo works as the README says
    assert signed_in(sign_in(client, "admin", "catalogue-admin", address="192.0.2.1"))
