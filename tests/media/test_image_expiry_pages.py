"""Expired images on public pages and in the read API, with the site's date set by the test
(the `clock` fixture): shown up to and including `expires`, never after."""

import datetime

import pytest

from tests.factories import (
    ImageFactory,
    ProductPageFactory,
    gallery_block,
    image_block,
)

pytestmark = pytest.mark.django_db

JUNE_15 = datetime.date(2026, 6, 15)


def alt(image):
    return f'alt="{image.description}"'


@pytest.fixture
def images():
    return {
        name: ImageFactory(title=name, expires=expires)
        for name, expires in [
            ("Hero", JUNE_15),
            ("Detail", JUNE_15),
            ("Gallery one", JUNE_15),
            ("Gallery two", None),
        ]
    }


@pytest.fixture
def product(catalogue, images):
    page = ProductPageFactory(
        parent=catalogue,
        hero_image=images["Hero"],
        body=[
            image_block(images["Detail"]),
            gallery_block([images["Gallery one"], images["Gallery two"]]),
        ],
    )
    page.save_revision().publish()
    return page


def test_images_show_up_to_their_last_day(client, clock, product, images):
    clock.today = JUNE_15
    html = client.get(product.url).content.decode()
    for image in images.values():
        assert alt(image) in html
    assert "image-expired" not in html


def test_after_the_last_day_gallery_and_body_skip_them_and_the_hero_falls_back(
    client, clock, product, images
):
    clock.today = JUNE_15 + datetime.timedelta(days=1)
    html = client.get(product.url).content.decode()
    for name in ("Hero", "Detail", "Gallery one"):
        assert alt(images[name]) not in html
    # The hero is the body's first image still shown, which is also in the gallery.
    header = html.split('class="product__header"')[1].split("</header>")[0]
    assert alt(images["Gallery two"]) in header
    assert 'class="block-image"' not in html  # the image block renders nothing
    gallery = html.split('class="block-gallery"')[1].split("</ul>")[0]
    assert gallery.count("<li>") == 1
    assert alt(images["Gallery two"]) in gallery
    assert "image-expired" not in html


def test_with_no_image_left_the_hero_is_a_neutral_placeholder(client, clock, catalogue):
    page = ProductPageFactory(parent=catalogue, hero_image=ImageFactory(expires=JUNE_15))
    clock.today = JUNE_15 + datetime.timedelta(days=1)
    html = client.get(page.url).content.decode()
    assert 'class="product__hero image-expired"' in html
    assert "<picture" not in html.split('class="product__header"')[1].split("</header>")[0]
    assert "og:image" not in html
    assert '"image"' not in html.split('application/ld+json">')[1].split("</script>")[0]


def test_listing_cards_show_a_placeholder_for_an_expired_hero(client, clock, catalogue):
    expired = ProductPageFactory(parent=catalogue, title="Old", hero_image=ImageFactory())
    current = ProductPageFactory(parent=catalogue, title="New", hero_image=ImageFactory())
    expired.hero_image.expires = JUNE_15 - datetime.timedelta(days=1)
    expired.hero_image.save()
    clock.today = JUNE_15
    html = client.get(catalogue.url).content.decode()
    assert alt(expired.hero_image) not in html
    assert alt(current.hero_image) in html
    assert html.count('class="card__image image-expired"') == 1


def test_home_page_hero_is_hidden_once_expired(client, clock, home):
    home.hero_image = ImageFactory(title="Welcome", expires=JUNE_15)
    home.save()
    clock.today = JUNE_15
    assert alt(home.hero_image) in client.get("/").content.decode()
    clock.advance(1)
    assert alt(home.hero_image) not in client.get("/").content.decode()


def api_product(client, product):
    response = client.get(
        f"/api/v2/pages/{product.pk}/", {"fields": "hero_image,hero_card,hero_large,body"}
    )
    assert response.status_code == 200
    return response.json()


def test_the_api_carries_no_expired_image(client, clock, product, images):
    clock.today = JUNE_15
    data = api_product(client, product)
    assert data["hero_image"]["id"] == images["Hero"].pk
    listed = {item["id"] for item in client.get("/api/v2/images/").json()["items"]}
    assert listed == {image.pk for image in images.values()}

    clock.advance(1)
    data = api_product(client, product)
    shown = images["Gallery two"]
    assert data["hero_image"]["id"] == shown.pk
    assert data["hero_image"]["title"] == "Gallery two"
    assert data["hero_card"]["url"] and data["hero_large"]["url"]
    image_value, gallery_value = (block["value"] for block in data["body"])
    assert image_value["image"] is None
    assert [item["image"] for item in gallery_value] == [shown.pk]
    listed = {item["id"] for item in client.get("/api/v2/images/").json()["items"]}
    assert listed == {shown.pk}
    assert client.get(f"/api/v2/images/{images['Hero'].pk}/").status_code == 404


def test_the_api_hero_is_null_with_no_image_left(client, clock, catalogue):
    page = ProductPageFactory(parent=catalogue, hero_image=ImageFactory(expires=JUNE_15))
    clock.today = JUNE_15 + datetime.timedelta(days=1)
    data = api_product(client, page)
    assert data["hero_image"] is None
    assert data["hero_card"] is None


# The query budgets (tests/products/test_query_budget.py) hold with images expired too.


def test_expired_images_cost_no_query(client, clock, catalogue):
    from tests.products.test_query_budget import (
        LISTING_QUERIES,
        PRODUCT_PAGE_QUERIES,
        product_with,
        queries_for,
    )

    page = product_with(catalogue, n_images=10, n_documents=1, n_related=2)
    in_body = [image for block in page.body for image in block_images(block)]
    for image in [page.hero_image, *in_body[:3], page.related_products.first().product.hero_image]:
        image.expires = JUNE_15
        image.save()
    clock.today = JUNE_15 + datetime.timedelta(days=1)
    html = client.get(page.url).content.decode()
    assert alt(page.hero_image) not in html and "<picture" in html
    assert queries_for(client, page.url) == PRODUCT_PAGE_QUERIES
    assert queries_for(client, catalogue.url) == LISTING_QUERIES


def block_images(block):
    if block.block_type == "image":
        return [block.value["image"]]
    return list(block.value) if block.block_type == "gallery" else []
