"""POST /api/catalogue/import/ and the read-only product API."""

import pytest
from django.contrib.auth.models import Permission
from wagtail.models import APIToken

from cms.media.renditions import API_CARD, API_LARGE, all_filter_specs
from products.models import ProductPage
from tests.products.catalogue_helpers import (
    MANIFEST,
    group_with_rights,
    site_state,
    write_bundle,
    zip_folder,
)
from tests.storage import renditions_url

pytestmark = pytest.mark.django_db
URL = "/api/catalogue/import/"


@pytest.fixture
def bundle_zip(tmp_path):
    return zip_folder(write_bundle(tmp_path / "bundle", MANIFEST), tmp_path / "bundle.zip")


def token_for(user):
    return APIToken.create_token(user=user, name="integration")[1]


def post(client, bundle_zip, token=None, query=""):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with bundle_zip.open("rb") as file:
        return client.post(URL + query, {"bundle": file}, headers=headers)


@pytest.fixture
def importer_user(django_user_model, home):
    """A user in a group that may add and publish pages, add media and add categories,
    nothing more."""
    group = group_with_rights(home, ("add_page", "publish_page"), "Catalogue integrators")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user = django_user_model.objects.create_user("integrator", password="x")
    user.groups.add(group)
    return user


def test_without_a_token_401(client, bundle_zip):
    before = site_state()
    response = post(client, bundle_zip)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"
    assert post(client, bundle_zip, token="wagtail_notarealtoken").status_code == 401
    assert site_state() == before


def test_revoked_token_401(client, bundle_zip, importer_user):
    token = token_for(importer_user)
    APIToken.objects.get().revoke()
    assert post(client, bundle_zip, token).status_code == 401


def test_token_without_permission_403(client, bundle_zip, django_user_model):
    user = django_user_model.objects.create_user("reader", password="x")
    before = site_state()
    response = post(client, bundle_zip, token_for(user))
    assert response.status_code == 403
    assert site_state() == before


def test_dry_run_writes_nothing(client, bundle_zip, importer_user):
    before = site_state()
    response = post(client, bundle_zip, token_for(importer_user), "?dry_run=1")
    assert response.status_code == 200
    report = response.json()
    assert report["dry_run"] is True and report["products"]["created"] == 2
    assert site_state() == before


def test_import_shows_up_on_the_public_site(client, bundle_zip, importer_user):
    response = post(client, bundle_zip, token_for(importer_user))
    assert response.status_code == 200, response.content
    report = response.json()
    assert report["ok"] and report["products"]["created"] == 2
    page = ProductPage.objects.get(sku="CH-1001")
    assert page.owner == importer_user
    html = client.get(page.url).content.decode()
    assert "Oak dining chair" in html and 'alt="Oak chair seen from the front"' in html


def test_a_bad_bundle_gives_the_report_with_errors(client, tmp_path, importer_user):
    bad = zip_folder(
        write_bundle(
            tmp_path / "bad",
            {"format": "catalogue/1", "products": [{"sku": "A", "title": "A", "price": 1}]},
        ),
        tmp_path / "bad.zip",
    )
    response = post(client, bad, token_for(importer_user))
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "where": "products[0].price",
            "message": "a price is a string such as “129.00” (a JSON number loses precision)",
        }
    ]


def test_upload_size_is_capped(client, bundle_zip, importer_user, settings):
    settings.CATALOGUE_IMPORT_MAX_UPLOAD_SIZE = 1000
    response = post(client, bundle_zip, token_for(importer_user))
    assert response.status_code == 413
    assert "larger than the limit of 1000" in response.json()["error"]


def test_products_in_the_read_only_api(client, bundle_zip, importer_user):
    post(client, bundle_zip, token_for(importer_user))
    listing = client.get(
        "/api/v2/pages/",
        {"type": "products.ProductPage", "fields": "sku,hero_card,hero_large,body"},
    ).json()
    item = next(i for i in listing["items"] if i["sku"] == "CH-1001")
    assert item["hero_card"]["url"].endswith(".jpg") and item["hero_large"]["width"] <= 1440
    documents = next(b for b in item["body"] if b["type"] == "documents")["value"]
    assert documents[0]["title"] == "Assembly manual"
    assert documents[0]["url"].startswith("http://localhost/documents/")
    assert documents[0]["extension"] == "PDF" and documents[0]["size"] > 0
    image = next(b for b in item["body"] if b["type"] == "image")["value"]["image"]
    assert image["alt"] == "Joint detail" and image["url"].startswith(renditions_url())
    assert client.post("/api/v2/pages/").status_code == 405  # read-only


def test_api_renditions_are_among_those_made_ahead_of_time():
    assert {API_CARD, API_LARGE} <= set(all_filter_specs())
