import copy

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.images import get_image_model

from cms.media.prefetch import prefetch_renditions
from cms.media.renditions import BODY, HERO
from tests.factories import ImageFactory

pytestmark = pytest.mark.django_db


def test_each_instance_of_one_image_keeps_its_own_alt_text():
    """A page holds one image as several instances (the hero, a use in a block with its own
    alt text): each instance's renditions must speak for that instance."""
    stored = ImageFactory(description="A walnut desk with two drawers")
    stored.get_renditions(*HERO.filter_specs, *BODY.filter_specs)
    hero = get_image_model().objects.get(pk=stored.pk)
    in_gallery = copy.copy(hero)
    in_gallery.contextual_alt_text = "The desk seen from the front"

    with CaptureQueriesContext(connection) as queries:
        prefetch_renditions(([hero], [HERO]), ([in_gallery], [BODY]))
        hero_renditions = hero.get_renditions(*HERO.filter_specs).values()
        gallery_renditions = in_gallery.get_renditions(*BODY.filter_specs).values()

    assert len(queries) == 1
    assert {r.alt for r in hero_renditions} == {"A walnut desk with two drawers"}
    assert {r.alt for r in gallery_renditions} == {"The desk seen from the front"}


def test_an_image_without_renditions_still_gets_them():
    image = ImageFactory()
    image.renditions.all().delete()
    prefetch_renditions(([image], [HERO]))
    assert list(image.prefetched_renditions) == []
    assert len(image.get_renditions(*HERO.filter_specs)) == len(HERO.filter_specs)
    assert image.renditions.count() == len(HERO.filter_specs)


def test_wagtail_reads_and_extends_prefetched_renditions_as_relied_on():
    """Pins the Wagtail behaviour cms/media/prefetch.py relies on (docs/architecture.md):
    `get_renditions` iterates `prefetched_renditions`, trusts it, appends what it creates,
    and writes to the rendition cache only what it did not find there."""
    from unittest import mock

    from django.core.cache import caches

    first, *others = BODY.filter_specs
    stored = ImageFactory()
    stored.get_renditions(first)
    image = get_image_model().objects.get(pk=stored.pk)
    prefetch_renditions(([image], [BODY]))
    Rendition = get_image_model().get_rendition_model()
    prefetched_key = Rendition.construct_cache_key(image, "", first)

    backend = caches["renditions"]
    with mock.patch.object(backend, "set_many", wraps=backend.set_many) as set_many:
        renditions = image.get_renditions(*BODY.filter_specs)
    written = {key for call in set_many.call_args_list for key in call.args[0]}
    assert prefetched_key not in written and len(written) == len(others)
    with CaptureQueriesContext(connection) as queries:
        again = image.get_renditions(*BODY.filter_specs)
    assert len(queries) == 0
    assert [r.pk for r in again.values()] == [r.pk for r in renditions.values()]
