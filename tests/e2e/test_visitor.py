"""A visitor browses the catalogue in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from cms.media.rendition_sets import add_placeholder
from cms.media.renditions import HERO
from tests.e2e.conftest import assert_images_loaded
from tests.factories import ImageFactory, ProductCategoryFactory, ProductPageFactory, gallery_block

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def catalogue_with_products(catalogue):
    chairs = ProductCategoryFactory(name="Chairs")
    tables = ProductCategoryFactory(name="Tables")
    for n in range(30):
        ProductPageFactory(
            parent=catalogue,
            title=f"Product {n:02d}",
            hero_image=None,
            category=chairs if n < 10 else tables,
        )
    gallery = [
        ImageFactory(title=f"View {n}", description=f"View {n} of the lamp", size=(320, 240))
        for n in range(3)
    ]
    for image in gallery:
        add_placeholder(image)  # thumbnails over their previews, as after the upload task
    lamp = ProductPageFactory(
        parent=catalogue,
        title="Brass lamp",
        sku="LA-1",
        hero_image=ImageFactory(size=(320, 240)),
        body=[gallery_block(gallery)],
    )
    return catalogue, lamp


def test_listing_filter_search_and_pagination(page, site_url, catalogue_with_products):
    catalogue, _ = catalogue_with_products
    page.goto(site_url + catalogue.url)
    cards = page.locator(".card")
    expect(cards).to_have_count(24)
    page.get_by_role("link", name="Next").click()
    expect(cards).to_have_count(7)  # 31 products: 24 + 7

    page.get_by_label("Category").select_option("chairs")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".result-count")).to_have_text("10 products in Chairs")
    expect(cards).to_have_count(10)

    page.get_by_label("Search products").fill("brass")
    page.get_by_label("Search products").press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=brass"))
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Brass lamp")


def test_gallery_lightbox_with_mouse_and_keyboard(
    page, site_url, catalogue_with_products, images_load
):
    _, lamp = catalogue_with_products
    page.goto(site_url + lamp.url)
    assert_images_loaded(page, images_load)
    thumbnails = page.locator("[data-lightbox]")
    expect(thumbnails).to_have_count(3)
    dialog = page.locator("dialog.lightbox")

    thumbnails.nth(1).click()
    expect(dialog).to_be_visible()
    expect(dialog.locator(".lightbox__count")).to_have_text("2 / 3")
    expect(dialog.locator("img")).to_have_attribute("alt", "View 1 of the lamp")
    page.wait_for_function("document.querySelector('dialog.lightbox img').naturalWidth > 0")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # The dialog's close event (which returns focus) arrives after it hides; its handler
    # clears the image, so wait for that before moving on.
    page.wait_for_function("!document.querySelector('dialog.lightbox img').hasAttribute('src')")
    expect(thumbnails.nth(1)).to_be_focused()

    thumbnails.nth(0).focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("ArrowRight")
    expect(dialog.locator(".lightbox__count")).to_have_text("2 / 3")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    expect(thumbnails.nth(0)).to_be_focused()


def test_small_screen_menu_is_folded_from_the_start_and_open_without_javascript(
    browser, site_url, catalogue_with_products
):
    phone = {"width": 390, "height": 800}
    page = browser.new_page(viewport=phone)
    page.goto(site_url + "/")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.close()

    context = browser.new_context(java_script_enabled=False, viewport=phone)
    page = context.new_page()
    page.goto(site_url + "/")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    context.close()


def test_gallery_works_without_javascript(browser, site_url, catalogue_with_products):
    _, lamp = catalogue_with_products
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site_url + lamp.url)
    with page.expect_navigation():
        page.locator("[data-lightbox]").first.click()
    assert re.search(r"/media/images/.+\.webp$", page.url)
    context.close()


def test_the_image_check_catches_a_missing_image(
    page, site_url, catalogue_with_products, images_load, media
):
    """The check the other tests rely on fails when an image on the page returns 404."""
    _, lamp = catalogue_with_products
    hero = lamp.hero_image
    for rendition in hero.get_renditions(*HERO.filter_specs).values():
        media.delete(rendition.file.name)  # rows stay: the page links them
    page.goto(site_url + lamp.url)
    with pytest.raises(AssertionError):
        assert_images_loaded(page, images_load)
    assert any(status == 404 for _, status in images_load)
