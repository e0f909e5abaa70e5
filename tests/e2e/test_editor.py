"""Editors in the admin, in a real browser."""

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from cms.demo.generate import make_image, make_pdf
from products.models import ProductPage
from tests.e2e.conftest import assert_images_loaded
from tests.factories import ProductPageFactory
from tests.media.corpus import JPEG

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def log_in(page, site_url, user):
    page.goto(site_url + "/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(site_url + "/admin/")


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user("edith", password="pw")
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def test_a_broken_image_upload_shows_a_readable_error(page, site_url, editor):
    log_in(page, site_url, editor)
    page.goto(site_url + "/admin/images/add/")
    page.get_by_label("Title").fill("Broken")
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "broken.jpg", "mimeType": "image/jpeg", "buffer": JPEG[: len(JPEG) // 2]}]
    )
    response_statuses = []
    page.on("response", lambda r: response_statuses.append(r.status))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("broken.jpg: not a valid image")).to_be_visible()
    assert all(status < 500 for status in response_statuses)


def test_an_editor_without_publish_rights_can_only_submit(page, site_url, editor, catalogue):
    product = ProductPageFactory(parent=catalogue, title="Oak chair")
    log_in(page, site_url, editor)
    page.goto(site_url + f"/admin/pages/{product.pk}/edit/")
    # The action menu offers submitting to the moderation workflow, and no publishing.
    expect(page.locator('button[name="action-submit"]')).to_be_attached()
    expect(page.locator('button[name="action-submit"]')).to_contain_text("Submit")
    expect(page.locator('button[name="action-publish"]')).to_have_count(0)


@pytest.fixture
def moderator(django_user_model):
    user = django_user_model.objects.create_user("molly", password="pw")
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def choose_in_modal(page, text):
    """Pick an item in Wagtail's chooser modal by its title and wait for the modal to close."""
    page.locator(".modal a", has_text=text).first.click()
    expect(page.locator(".modal")).to_be_hidden()


def insert_block(page, name):
    page.locator('[data-contentpath="body"] button[title="Insert a block"]').last.click()
    page.get_by_role("option", name=name).click()


def test_an_editor_builds_and_publishes_a_product(
    page, site_url, moderator, catalogue, images_load, screenshots
):
    log_in(page, site_url, moderator)

    # The media library: an image with alt text and credit, and a PDF datasheet.
    page.goto(site_url + "/admin/images/add/")
    page.get_by_label("Title").fill("Walnut desk")
    page.get_by_label("File").set_input_files(
        files=[
            {"name": "desk.jpg", "mimeType": "image/jpeg", "buffer": make_image("Desk", 800, 600)}
        ]
    )
    expect(page.get_by_text("What the image shows, for people who cannot see it")).to_be_visible()
    page.get_by_label("Alt text").fill("A walnut desk with two drawers")
    page.get_by_label("Credit").fill("Studio Nord")
    page.get_by_role("button", name="Upload").click()
    expect(page).to_have_url(site_url + "/admin/images/")

    page.goto(site_url + "/admin/documents/add/")
    page.get_by_label("Title").fill("Desk datasheet")
    page.get_by_label("File").set_input_files(
        files=[{"name": "desk.pdf", "mimeType": "application/pdf", "buffer": make_pdf("Desk")}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page).to_have_url(site_url + "/admin/documents/")

    # A product with hero, gallery, documents and specs, built through the StreamField UI.
    page.goto(site_url + f"/admin/pages/add/products/productpage/{catalogue.pk}/")
    page.get_by_role("textbox", name="Title").fill("Walnut desk")
    page.get_by_role("textbox", name="Summary").fill("A writing desk in oiled walnut.")
    insert_block(page, "Gallery")
    page.locator('[data-contentpath="body"]').get_by_role("button", name="Choose an image").click()
    choose_in_modal(page, "Walnut desk")
    page.locator("#body-0-value-0-value-alt_text").fill("The desk seen from the front")
    insert_block(page, "Documents")
    page.locator('[data-contentpath="body"]').get_by_role(
        "button", name="Choose a document"
    ).click()
    choose_in_modal(page, "Desk datasheet")
    insert_block(page, "Specs")
    page.locator("#body-2-value-0-value-name").fill("Width")
    page.locator("#body-2-value-0-value-value").fill("140 cm")
    page.get_by_role("tab", name="Media").click()
    page.get_by_role("button", name="Choose an image").click()
    choose_in_modal(page, "Walnut desk")
    page.get_by_role("tab", name="Settings").click()
    page.get_by_role("textbox", name="SKU").fill("WD-140")
    page.get_by_role("tab", name="Content").click()
    page.set_viewport_size({"width": 1280, "height": 1600})
    page.screenshot(path=screenshots / "product-edit-form.png")
    page.set_viewport_size({"width": 1280, "height": 720})

    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish").click()
    # Wagtail's autosave may have created the page already, which changes the wording.
    published = re.compile(r"Page 'Walnut desk' (created and published|has been published)")
    expect(page.get_by_text(published)).to_be_visible()

    # The public page: the product, every image loaded, the datasheet served as a PDF.
    product = ProductPage.objects.get(sku="WD-140")
    assert product.live and product.slug == "walnut-desk"
    images_load.clear()  # only the public page's images count from here
    page.goto(site_url + product.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Walnut desk")
    expect(page.get_by_role("img", name="The desk seen from the front")).to_be_visible()
    expect(page.get_by_role("cell", name="140 cm")).to_be_visible()
    assert_images_loaded(page, images_load)
    page.screenshot(path=screenshots / "product-desktop.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert_images_loaded(page, images_load)
    page.screenshot(path=screenshots / "product-mobile.png", full_page=True)

    download = page.get_by_role("link", name=re.compile("Desk datasheet"))
    response = page.request.get(site_url + download.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")
