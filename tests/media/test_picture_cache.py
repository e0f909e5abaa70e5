"""Rendered pictures are cached (cms/media/pictures.py), and a change to an image shows on the
next render of every page using it: the product page, the listing's card and the home page's
featured card. A cached picture never names a rendition that has gone."""

import re
from unittest import mock

import pytest
from django.core.cache import caches
from django.core.files.base import ContentFile
from wagtail.images.models import Filter, get_rendition_storage
from wagtail.images.rect import Rect

from cms.demo.generate import make_image
from cms.media import pictures
from cms.media.models import Rendition
from tests.factories import ImageFactory, ProductPageFactory, gallery_block, image_block

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(catalogue, home):
    """One image as the hero of one product (its page, its card on the listing and on the
    home page) and in another product's gallery (thumbnail and large image)."""
    image = ImageFactory(title="Oak chair", description="An oak chair", size=(400, 300))
    chair = ProductPageFactory(parent=catalogue, title="Oak chair", hero_image=image)
    table = ProductPageFactory(
        parent=catalogue,
        title="Oak table",
        body=[
            image_block(ImageFactory(size=(400, 300)), alt="Table top"),
            gallery_block([image]),
        ],
    )
    home.featured_products.create(product=chair)
    home.save()
    urls = [chair.url, table.url, catalogue.url, "/"]
    for url in urls:
        render(url)  # renditions made
        render(url)  # pictures cached
    return image, chair, table, urls


def render(url):
    from django.test import Client

    response = Client().get(url)
    assert response.status_code == 200
    return response.content.decode()


def rendition_names(html):
    """The storage names of every rendition a page links."""
    base = get_rendition_storage().url("images/")
    return {"images/" + name for name in re.findall(re.escape(base) + r'([^\s",]+)', html)}


def names_of(image):
    return set(Rendition.objects.filter(image=image).values_list("file", flat=True))


def assert_links_only_existing_renditions(html):
    linked = rendition_names(html)
    assert linked
    assert linked <= set(Rendition.objects.values_list("file", flat=True))


def test_a_warm_render_reuses_the_cached_markup_byte_for_byte(site):
    _, chair, table, urls = site
    first = {url: render(url) for url in urls}
    with mock.patch.object(pictures.OneWidthEachPicture, "__html__", side_effect=AssertionError):
        cached = {url: render(url) for url in urls}
    caches["renditions"].clear()
    uncached = {url: render(url) for url in urls}
    assert first == cached == uncached


def test_new_alt_text_shows_everywhere_on_the_next_render(site):
    image, *_, urls = site
    image.description = "A chair in oiled oak"
    image.save()
    for url in urls:
        html = render(url)
        assert 'alt="A chair in oiled oak"' in html, url
        assert 'alt="An oak chair"' not in html, url


def test_per_use_alt_text_shows_on_the_next_render(site):
    image, chair, table, _ = site
    chair.hero_alt = "The chair from the side"
    chair.save()
    table.body = [
        {
            "type": "gallery",
            "value": [
                {"image": image.pk, "alt_text": "Chair next to the table", "decorative": False}
            ],
        }
    ]
    table.save()
    assert 'alt="The chair from the side"' in render(chair.url)
    assert 'alt="Chair next to the table"' in render(table.url)


def test_a_new_file_shows_everywhere_on_the_next_render(site):
    image, *_, urls = site
    old = names_of(image)
    image.file = ContentFile(make_image("New chair", 480, 360, "jpeg"), name="new-chair.jpg")
    image.save()
    for url in urls:
        html = render(url)
        assert not rendition_names(html) & old, url
        assert rendition_names(html) & names_of(image), url
        assert_links_only_existing_renditions(html)


def test_renditions_made_again_from_the_same_file_are_the_ones_linked(site):
    """Renditions deleted and made again (a rebuild, a cleanup) may get other file names even
    from the same original: a cached picture must not link the deleted ones."""
    image, *_, urls = site
    old = names_of(image)
    image.renditions.all().delete()
    for url in urls:
        assert_links_only_existing_renditions(render(url))
    assert not names_of(image) & old


def test_a_new_focal_point_shows_on_the_cards_at_the_next_render(site):
    image, chair, table, urls = site
    catalogue_url, home_url = urls[2], urls[3]
    before = {url: rendition_names(render(url)) for url in (catalogue_url, home_url, table.url)}
    image.set_focal_point(Rect(0, 0, 100, 100))
    image.save()
    for url, linked_before in before.items():
        html = render(url)
        assert rendition_names(html) != linked_before, url
        assert_links_only_existing_renditions(html)


def test_a_render_from_prefetched_renditions_writes_no_rendition_to_the_cache(site):
    """Wagtail's get_rendition writes the rendition to the cache on every call, even one it
    found prefetched; the page's lightbox links and og:image must not."""
    _, chair, table, _ = site
    caches["renditions"].clear()
    backend = caches["renditions"]
    with mock.patch.object(backend, "set", wraps=backend.set) as cache_set:
        render(table.url)
        render(chair.url)
    written = [call.args[0] for call in cache_set.call_args_list]
    assert written and not [key for key in written if "rendition" in key]


def test_filters_are_built_once_per_spec_not_per_render(site):
    _, chair, table, _ = site
    caches["renditions"].clear()  # every picture rendered again
    with mock.patch.object(Filter, "__init__", side_effect=AssertionError):
        render(table.url)
        render(chair.url)
