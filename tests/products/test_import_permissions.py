"""Rights of an HTTP import's token: checked on the page `?parent=` names, and on every
existing page the import would change, wherever it is (SKUs match site-wide). Anything
refused refuses the whole import, with the product and the page named, and writes nothing."""

import pytest
from django.utils import timezone
from wagtail.models import Page

from products.models import ProductPage
from tests.factories import ProductIndexPageFactory
from tests.products.catalogue_helpers import (
    group_with_rights,
    manifest,
    run_import,
    site_state,
    write_bundle,
    zip_folder,
)
from tests.products.test_import_http import post, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def sections(home):
    """Two catalogues: /products/ and /outlet/."""
    products = ProductIndexPageFactory(parent=home, title="Products", slug="products")
    outlet = ProductIndexPageFactory(parent=home, title="Outlet", slug="outlet")
    return products, outlet


def team_member(django_user_model, page, name="products-team"):
    """A user whose group may add, edit and publish pages under `page` only, add media and
    add categories."""
    group = group_with_rights(page, ("add_page", "change_page", "publish_page"))
    user = django_user_model.objects.create_user(name, password="x")
    user.groups.add(group)
    return user


def bundle_zip(tmp_path, data, name="bundle"):
    return zip_folder(write_bundle(tmp_path / name, data), tmp_path / f"{name}.zip")


def one_product(**changes):
    """The first product of the test manifest alone (CH-1001), with `changes`."""
    data = manifest(related=[], **changes)
    data["products"] = data["products"][:1]
    return data


def test_cannot_update_a_product_in_another_section(client, tmp_path, sections, django_user_model):
    """The reported case: a draft elsewhere, which no publishing right protects."""
    products, outlet = sections
    draft = one_product(live=False)
    assert run_import(write_bundle(tmp_path / "first", draft), "--parent", "/outlet/")[0]
    user = team_member(django_user_model, products)
    before = site_state()

    bundle = bundle_zip(tmp_path, one_product(live=False, title="Oak chair, renamed"))
    response = post(client, bundle, token_for(user), "?parent=/products/")

    assert response.status_code == 400, response.content
    page = ProductPage.objects.get(sku="CH-1001")
    assert response.json()["errors"] == [
        {
            "where": "products[0].sku",
            "message": f"SKU “CH-1001” is the page “Oak dining chair” (/outlet/oak-dining-chair/"
            f", id {page.pk}): user “products-team” may not edit it",
        }
    ]
    assert site_state() == before
    assert page.get_latest_revision_as_object().title == "Oak dining chair"
    assert page.get_parent().pk == outlet.pk


def test_the_whole_import_is_refused_with_every_refused_page(
    client, tmp_path, sections, django_user_model
):
    """A product the user may create does not go in while another is refused."""
    products, _ = sections
    assert run_import(write_bundle(tmp_path / "first", one_product()), "--parent", "/outlet/")[0]
    user = team_member(django_user_model, products)
    data = manifest(title="Renamed")  # CH-1001 (in /outlet/) and a new CH-1002
    before = site_state()
    response = post(client, bundle_zip(tmp_path, data), token_for(user), "?parent=/products/")
    assert response.status_code == 400
    assert [e["where"] for e in response.json()["errors"]] == ["products[0].sku"]
    assert site_state() == before
    assert not ProductPage.objects.filter(sku="CH-1002").exists()


def lock_basic(page, other):
    page.locked, page.locked_by, page.locked_at = True, other, timezone.now()
    page.save()
    return f"it is locked by {other.username}"


def lock_in_moderation(page, other):
    page.save_revision(user=other)
    workflow = page.get_workflow()
    workflow.start(page, other)
    return f"it is locked in moderation (task “{workflow.tasks.first().name}”)"


@pytest.mark.parametrize("lock", [lock_basic, lock_in_moderation], ids=["locked", "moderation"])
def test_cannot_change_a_locked_page(client, tmp_path, sections, django_user_model, lock):
    products, _ = sections
    assert run_import(write_bundle(tmp_path / "first", one_product()), "--parent", "/products/")[0]
    user = team_member(django_user_model, products)
    page = ProductPage.objects.get(sku="CH-1001")
    reason = lock(page, django_user_model.objects.create_user("moe", password="x"))
    before = site_state()

    bundle = bundle_zip(tmp_path, one_product(title="Oak chair, renamed"))
    response = post(client, bundle, token_for(user), "?parent=/products/")

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [
        {
            "where": "products[0].sku",
            "message": f"SKU “CH-1001” is the page “Oak dining chair” (/products/oak-dining-"
            f"chair/, id {page.pk}): {reason}",
        }
    ]
    assert site_state() == before


def test_the_command_line_does_not_change_a_locked_page(tmp_path, sections, django_user_model):
    assert run_import(write_bundle(tmp_path / "first", one_product()), "--parent", "/products/")[0]
    page = ProductPage.objects.get(sku="CH-1001")
    lock_basic(page, django_user_model.objects.create_user("moe", password="x"))
    before = site_state()
    ok, _, err = run_import(write_bundle(tmp_path / "second", one_product(title="Renamed")))
    assert not ok
    assert "error: products[0].sku: SKU “CH-1001” is the page “Oak dining chair”" in err
    assert "it is locked by moe" in err
    assert site_state() == before


def test_parent_as_a_path_gets_the_rights_of_that_page(
    client, tmp_path, sections, django_user_model
):
    products, outlet = sections
    user = team_member(django_user_model, products)
    bundle = bundle_zip(tmp_path, one_product())
    before = site_state()

    refused = post(client, bundle, token_for(user), "?parent=/outlet/")
    assert refused.status_code == 403, refused.content
    assert "“Outlet”" in refused.json()["error"]
    assert site_state() == before

    allowed = post(client, bundle, token_for(user), "?parent=/products/")
    assert allowed.status_code == 200, allowed.content
    assert ProductPage.objects.get(sku="CH-1001").get_parent().pk == products.pk


def test_parent_as_a_path_for_a_user_of_the_second_section(
    client, tmp_path, sections, django_user_model
):
    """Rights on /outlet/ only: an import there is allowed (the first catalogue is not
    what counts)."""
    _, outlet = sections
    user = team_member(django_user_model, outlet, name="outlet-team")
    response = post(client, bundle_zip(tmp_path, one_product()), token_for(user), "?parent=outlet")
    assert response.status_code == 200, response.content
    assert ProductPage.objects.get(sku="CH-1001").get_parent().pk == outlet.pk


@pytest.mark.parametrize(
    ("parent", "message"),
    [
        ("²", "²: no product catalogue page with that id or URL path"),
        ("٣", "٣: no product catalogue page with that id or URL path"),
        ("/nope/", "/nope/: no product catalogue page with that id or URL path"),
        (
            "99999999999999999999999",
            "99999999999999999999999: no product catalogue page with that id or URL path",
        ),
        ("/", "/: the page “Home” is not a product catalogue"),
        ("%00", "not a page id or URL path (it holds control characters)"),
    ],
)
def test_unknown_or_malformed_parent_is_a_400_naming_the_parameter(
    client, tmp_path, sections, admin_user, parent, message
):
    before = site_state()
    response = post(
        client, bundle_zip(tmp_path, one_product()), token_for(admin_user), f"?parent={parent}"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"] == [
        {"where": "parent", "message": f"?parent= names no catalogue: {message}"}
    ]
    assert site_state() == before


def test_parent_by_id_of_a_page_that_is_no_catalogue(client, tmp_path, home, admin_user):
    response = post(
        client, bundle_zip(tmp_path, one_product()), token_for(admin_user), f"?parent={home.pk}"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["where"] == "parent"
    assert "is not a product catalogue" in response.json()["error"]


@pytest.mark.parametrize("url", ["/api/catalogue/import/", "/api/catalogue/imports/"])
def test_parent_never_reveals_the_title_of_a_page_the_token_may_not_edit(
    client, tmp_path, sections, django_user_model, url
):
    """A draft page elsewhere on the site, named by id by a token whose user may edit only the
    catalogue: the answer is the one for an id with no page at all, never the draft's title.
    A user who may edit the page is told what it is."""
    products, _ = sections
    draft = Page(title="Secret launch 2027", slug="secret", live=False)
    products.get_parent().add_child(instance=draft)
    user = team_member(django_user_model, products)
    for ref in (draft.pk, 99999999):
        with bundle_zip(tmp_path, one_product()).open("rb") as file:
            response = client.post(
                f"{url}?parent={ref}",
                {"bundle": file},
                headers={"Authorization": f"Bearer {token_for(user)}"},
            )
        assert response.status_code == 400
        assert "Secret launch" not in response.content.decode()
        assert response.json()["errors"][0]["message"] == (
            f"?parent= names no catalogue: {ref}: no product catalogue page with that id or "
            "URL path"
        )
    editor = django_user_model.objects.create_superuser("boss", password="x")
    with bundle_zip(tmp_path, one_product()).open("rb") as file:
        response = client.post(
            f"{url}?parent={draft.pk}",
            {"bundle": file},
            headers={"Authorization": f"Bearer {token_for(editor)}"},
        )
    assert "the page “Secret launch 2027” is not a product catalogue" in response.json()["error"]
