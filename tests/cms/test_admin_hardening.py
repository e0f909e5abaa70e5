"""The admin's sessions, its spreadsheet exports and its avatars (issue #11, point 14)."""

import csv
import io
import secrets
import time

import pytest
from django.test import Client
from openpyxl import load_workbook
from wagtail.models import APIToken

from tests.factories import ProductPageFactory

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://x","y")'


@pytest.fixture
def chief(django_user_model):
    return django_user_model.objects.create_superuser("chief", "chief@example.com", "right-pw")


def sign_in(client):
    response = client.post("/admin/login/", {"username": "chief", "password": "right-pw"})
    assert response.status_code == 302 and response["Location"] == "/admin/"


def in_admin(client):
    """Whether the client's session still opens the dashboard (else: back to sign-in)."""
    response = client.get("/admin/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_an_admin_idle_past_the_timeout_is_signed_out_and_an_active_one_is_not(
    client, chief, settings
):
    assert settings.SESSION_COOKIE_AGE == 2 * 3600  # the default idle timeout
    settings.SESSION_COOKIE_AGE = 1  # seconds, for the test
    sign_in(client)
    for _ in range(4):  # active for longer than the timeout: each request moves it on
        time.sleep(0.5)
        assert in_admin(client)
    time.sleep(1.5)  # idle
    assert not in_admin(client)


def test_sessions_and_api_tokens_survive_a_secret_key_rotation_through_the_fallbacks(
    chief, settings
):
    old, new = secrets.token_urlsafe(50), secrets.token_urlsafe(50)
    settings.SECRET_KEY = old
    editor_a, editor_b = Client(), Client()
    sign_in(editor_a)
    sign_in(editor_b)
    _, token = APIToken.create_token(user=chief, name="integrator")

    def token_accepted():
        response = Client().post(
            "/api/catalogue/import/", headers={"Authorization": f"Bearer {token}"}
        )
        return response.status_code != 401

    settings.SECRET_KEY = new  # rotated with the old key dropped: all of it is lost
    assert not in_admin(editor_b) and not token_accepted()

    settings.SECRET_KEY_FALLBACKS = [old]  # rotated through the fallbacks
    assert in_admin(editor_a) and token_accepted()
    settings.SECRET_KEY_FALLBACKS = []
    assert in_admin(editor_a)  # a session used during the rotation is signed anew


def download(client, url):
    response = client.get(url)
    assert response.status_code == 200
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.parametrize("report", ["/admin/reports/aging-pages/", "/admin/reports/site-history/"])
def test_admin_exports_write_a_formula_title_as_text(admin_client, admin_user, catalogue, report):
    page = ProductPageFactory(parent=catalogue, title=FORMULA, slug="formula", live=False)
    page.save_revision(user=admin_user).publish(user=admin_user)

    rows = list(csv.reader(io.StringIO(download(admin_client, report + "?export=csv").decode())))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + FORMULA in cells
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]

    # XLSX: Wagtail itself stores formula-like text as a string cell.
    sheet = load_workbook(io.BytesIO(download(admin_client, report + "?export=xlsx"))).active
    values = [cell for row in sheet.iter_rows() for cell in row if cell.value == FORMULA]
    assert values and all(cell.data_type == "s" for cell in values)


def test_the_admin_fetches_no_avatar_from_gravatar(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert "gravatar" not in html.lower()
    assert "default-user-avatar" in html
