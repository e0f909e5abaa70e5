"""Every block's rendered HTML, through the product page's StreamField."""

import re

import pytest
from django.core.exceptions import ValidationError
from wagtail.blocks import StreamBlockValidationError

from products.models import ProductPage
from tests.factories import (
    DocumentFactory,
    ImageFactory,
    documents_block,
    gallery_block,
    image_block,
    specs_block,
)
from tests.storage import renditions_url

pytestmark = pytest.mark.django_db


def render_body(*raw_blocks):
    """Render a body holding `raw_blocks` (stored JSON) as a product page would."""
    page = ProductPage(title="P", sku="P-1", body=list(raw_blocks))
    return "".join(block.render() for block in page.body)


def test_heading_block():
    assert render_body({"type": "heading", "value": "Craftsmanship"}).strip() == (
        '<h2 class="block-heading">Craftsmanship</h2>'
    )


def test_paragraph_block_renders_rich_text():
    html = render_body({"type": "paragraph", "value": "<p>Solid <b>oak</b>.</p>"})
    assert '<div class="block-paragraph"><p>Solid <b>oak</b>.</p></div>' in html


def test_image_block_is_a_lazy_responsive_picture_with_its_own_alt_text():
    image = ImageFactory(description="Library alt")
    html = render_body(image_block(image, alt="Joint detail", caption="Mortise and tenon"))

    assert 'type="image/avif"' in html and 'type="image/webp"' in html
    img = re.search(r"<img [^>]+>", html).group(0)
    assert 'alt="Joint detail"' in img
    assert 'loading="lazy"' in img
    assert re.search(r'width="\d+"', img) and re.search(r'height="\d+"', img)
    assert re.search(r'srcset="[^"]+ 480w', img)
    assert "<figcaption>Mortise and tenon</figcaption>" in html


def test_decorative_image_gets_empty_alt():
    html = render_body(image_block(ImageFactory(description="Library alt"), decorative=True))
    assert 'alt=""' in html and "Library alt" not in html


def test_one_image_used_twice_keeps_each_uses_alt_text():
    image = ImageFactory()
    html = render_body(
        image_block(image, alt="Seen from the front"), image_block(image, alt="Seen from above")
    )
    assert 'alt="Seen from the front"' in html and 'alt="Seen from above"' in html


def test_gallery_block_links_thumbnails_to_large_renditions():
    images = [ImageFactory(description=f"View {i}") for i in range(3)]
    html = render_body(gallery_block(images))

    links = re.findall(r'<a class="block-gallery__link" href="([^"]+)"', html)
    assert len(links) == 3
    assert all(
        h.startswith(renditions_url("")) and h.endswith(".format-webp.max-1600x1600.webp")
        for h in links
    )
    for i in range(3):
        assert f'alt="View {i}"' in html
    assert html.count('type="image/avif"') == 3
    assert html.count('loading="lazy"') == 3


def test_gallery_link_around_a_decorative_image_has_a_name():
    raw = {
        "type": "gallery",
        "value": [{"image": ImageFactory().pk, "alt_text": "", "decorative": True}],
    }
    html = render_body(raw)
    assert 'aria-label="Open image 1 of 1"' in html
    assert 'alt=""' in html


def test_documents_block_shows_title_type_and_stored_size():
    manual = DocumentFactory(title="Assembly manual")
    datasheet = DocumentFactory(title="Datasheet")
    html = render_body(documents_block([manual, datasheet], titles=["", "Spec sheet (EN)"]))

    assert f'<a href="/documents/{manual.pk}/manual.pdf">Assembly manual</a>' in html
    assert "Spec sheet (EN)</a>" in html and ">Datasheet<" not in html
    size = f"{manual.file_size}\xa0bytes"
    assert f"(PDF, {size})" in html


def test_documents_block_size_comes_from_the_database_not_storage(media):
    document = DocumentFactory(title="Manual")
    media.delete(document.file.name)  # storage can no longer answer
    html = render_body(documents_block([document]))
    assert f"{document.file_size}\xa0bytes" in html


def test_specs_block_is_a_table():
    html = render_body(specs_block([("Height", "92 cm"), ("Weight", "6 kg")]))
    assert '<tr><th scope="row">Height</th><td>92 cm</td></tr>' in html
    assert '<tr><th scope="row">Weight</th><td>6 kg</td></tr>' in html


def test_block_validation_limits():
    stream_block = ProductPage._meta.get_field("body").stream_block
    image = ImageFactory()
    too_many = {
        "type": "gallery",
        "value": [{"image": image.pk, "alt_text": "x", "decorative": False}] * 51,
    }
    with pytest.raises(StreamBlockValidationError):
        stream_block.clean(stream_block.to_python([too_many]))
    missing_alt = image_block(image)
    with pytest.raises(ValidationError):
        stream_block.clean(stream_block.to_python([missing_alt]))
    stream_block.clean(stream_block.to_python([image_block(image, alt="ok")]))


def test_blocks_have_admin_help():
    stream_block = ProductPage._meta.get_field("body").stream_block
    assert list(stream_block.child_blocks) == [
        "heading",
        "paragraph",
        "image",
        "gallery",
        "documents",
        "specs",
    ]
    for name, block in stream_block.child_blocks.items():
        assert block.meta.icon, name
        assert block.get_description(), name
        assert block.meta.template, name
    assert stream_block.child_blocks["specs"].get_preview_value()
