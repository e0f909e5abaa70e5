import pytest
from django.template import Context, Template, TemplateSyntaxError
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from cms.media.models import CustomDocument, CustomImage, Rendition
from cms.media.renditions import HERO, all_filter_specs
from tests.factories import DocumentFactory, ImageFactory

pytestmark = pytest.mark.django_db


def test_custom_media_models_are_in_use():
    assert get_image_model() is CustomImage
    assert get_document_model() is CustomDocument
    assert CustomImage.get_rendition_model() is Rendition


def test_image_credit_is_editable_in_the_admin_form():
    assert "credit" in CustomImage.admin_form_fields
    assert "description" in CustomImage.admin_form_fields


def test_files_land_in_folders_by_kind(media):
    image = ImageFactory()
    document = DocumentFactory()
    rendition = image.get_rendition("width-100")

    assert image.file.name.startswith("original_images/")
    assert rendition.file.name.startswith("images/")
    assert document.file.name.startswith("documents/")
    for name in (image.file.name, rendition.file.name, document.file.name):
        assert media.exists(name)


def test_description_is_the_default_alt_text():
    image = ImageFactory(description="Oak chair seen from the front")
    assert image.default_alt_text == "Oak chair seen from the front"
    assert 'alt="Oak chair seen from the front"' in image.get_rendition("width-100").img_tag()


def test_factories_store_size_and_hash():
    image = ImageFactory()
    document = DocumentFactory()
    assert len(image.file_hash) == 40 and image.file_size > 0
    assert len(document.file_hash) == 40 and document.file_size > 0


def test_picture_spec_tag_renders_the_named_spec():
    image = ImageFactory()
    html = Template('{% load media_tags %}{% picture_spec image "hero" sizes="100vw" %}').render(
        Context({"image": image})
    )
    assert html.startswith("<picture>")
    assert html.count("<source") == 2  # AVIF and WebP; JPEG is the <img>
    # Every filter spec of the named spec was generated, and nothing else.
    assert set(image.renditions.values_list("filter_spec", flat=True)) == set(HERO.filter_specs)
    assert set(HERO.filter_specs) <= set(all_filter_specs())


def test_picture_spec_tag_rejects_an_unknown_name():
    with pytest.raises(TemplateSyntaxError, match="unknown rendition spec 'nope'"):
        Template('{% load media_tags %}{% picture_spec image "nope" %}')
