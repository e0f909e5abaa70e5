"""Editors and Moderators, the edit form's tabs, and the dashboard panel."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.images import get_image_model
from wagtail.models import Collection
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from products.models import ProductPage
from tests.factories import ImageFactory, ProductPageFactory
from tests.media.corpus import JPEG

pytestmark = pytest.mark.django_db


def member(django_user_model, group, name):
    user = django_user_model.objects.create_user(name, password="pw")
    user.groups.add(Group.objects.get(name=group))
    return user


def product_form(action=None, **fields):
    data = nested_form_data(
        {
            "title": "Brass lamp",
            "slug": "brass-lamp",
            "sku": "LA-1",
            "summary": "",
            "body": streamfield([("heading", "Light")]),
            "related_products": inline_formset([]),
            **fields,
        }
    )
    if action:
        data[action] = "1"
    return data


@pytest.fixture
def editor(client, django_user_model):
    client.force_login(member(django_user_model, "Editors", "edith"))
    return client


@pytest.fixture
def moderator(client, django_user_model):
    client.force_login(member(django_user_model, "Moderators", "moe"))
    return client


def test_editor_can_create_but_only_submit_for_moderation(editor, catalogue):
    add_url = f"/admin/pages/add/products/productpage/{catalogue.pk}/"
    form = editor.get(add_url).content.decode()
    assert 'name="action-submit"' in form and 'name="action-publish"' not in form

    editor.post(add_url, product_form("action-publish"))
    page = ProductPage.objects.get(sku="LA-1")
    assert not page.live  # publishing was not theirs to do

    editor.post(f"/admin/pages/{page.pk}/edit/", product_form("action-submit"))
    page.refresh_from_db()
    assert page.current_workflow_state and page.current_workflow_state.status == "in_progress"
    assert not page.live


def test_moderator_publishes(moderator, catalogue):
    moderator.post(
        f"/admin/pages/add/products/productpage/{catalogue.pk}/", product_form("action-publish")
    )
    assert ProductPage.objects.get(sku="LA-1").live


def test_editor_uploads_into_the_product_collection_only(editor):
    # One collection allowed: Wagtail offers no choice and files the upload there.
    root = Collection.get_first_root_node()
    response = editor.post(
        "/admin/images/add/",
        {
            "title": "Lamp",
            "file": SimpleUploadedFile("lamp.jpg", JPEG),
            "collection": root.pk,
            "description": "A brass lamp",
        },
    )
    assert response.status_code == 302
    image = get_image_model().objects.get(title="Lamp")
    assert image.collection.name == "Product images"


def test_editor_cannot_delete_images_moderator_can(client, django_user_model):
    image = ImageFactory()
    client.force_login(member(django_user_model, "Editors", "edith"))
    assert client.post(f"/admin/images/{image.pk}/delete/").status_code in (302, 403)
    image.refresh_from_db()  # still there
    client.force_login(member(django_user_model, "Moderators", "moe"))
    client.post(f"/admin/images/{image.pk}/delete/")
    assert not type(image).objects.filter(pk=image.pk).exists()


def test_outsiders_cannot_reach_the_admin(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("visitor", password="pw"))
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_categories_are_managed_by_moderators(client, django_user_model):
    client.force_login(member(django_user_model, "Moderators", "moe"))
    assert client.get("/admin/snippets/products/productcategory/").status_code == 200
    client.force_login(member(django_user_model, "Editors", "edith"))
    assert client.get("/admin/snippets/products/productcategory/").status_code in (302, 403)


def test_edit_form_is_organised_in_tabs(admin_client, catalogue):
    page = ProductPageFactory(parent=catalogue)
    html = admin_client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    for tab in ("Content", "Media", "Promote", "Settings"):
        assert f">{tab}<" in html or f"{tab}\n" in html, tab
    assert "Stock-keeping unit: unique across the site" in html
    assert "Alt text for the hero on this page only" in html


def test_dashboard_shows_catalogue_and_media_health(admin_client, catalogue):
    ProductPageFactory(parent=catalogue)
    ProductPageFactory(parent=catalogue, live=False)
    ImageFactory(description="")  # unused and without alt
    html = admin_client.get("/admin/").content.decode()
    assert "data-catalogue-summary" in html
    assert '<span data-count="live">1</span> live products' in html
    assert '<span data-count="drafts">1</span> drafts' in html
    assert "/admin/reports/media-health/#unused" in html
