"""What visitors and API clients get from PDF previews: the documents block's thumbnail, type,
page count and size; a product found by a word only its datasheet holds, "in: <title>"; the
read API's page count and preview rendition."""

import re

import pytest
from django.core.files.base import ContentFile

from cms.demo.generate import make_pdf_pages
from cms.media.renditions import API_DOCUMENT_PREVIEW
from tests.factories import DocumentFactory, ProductPageFactory, documents_block
from tests.media.corpus import docx
from tests.products.test_listing_and_search import card_titles

pytestmark = pytest.mark.django_db


def sheet(*words, pages=2):
    return make_pdf_pages(
        [(f"Sheet page {n}", [f"Page {n} of the sheet", *words]) for n in range(1, pages + 1)]
    )


@pytest.fixture
def previewed(django_capture_on_commit_callbacks):
    """A document whose preview task has run."""

    def previewed(title, content, filename="sheet.pdf"):
        with django_capture_on_commit_callbacks(execute=True):
            document = DocumentFactory(title=title, file=ContentFile(content, name=filename))
        document.refresh_from_db()
        return document

    return previewed


def test_documents_block_shows_preview_title_type_pages_and_size(client, catalogue, previewed):
    datasheet = previewed("Oak chair datasheet", sheet(pages=3))
    prices = previewed("Prices", docx(), filename="prices.docx")
    page = ProductPageFactory(parent=catalogue, body=[documents_block([datasheet, prices])])

    html = client.get(page.url).content.decode()

    items = re.findall(r'<li class="document-link">.*?</li>', html, re.S)
    assert len(items) == 2
    # The PDF: its first page as a <picture> (AVIF, WebP, JPEG), decorative beside its title.
    assert "<picture>" in items[0] and 'type="image/avif"' in items[0]
    assert re.search(r'<img[^>]*alt=""[^>]*class="document-link__thumb"', items[0]) or re.search(
        r'<img[^>]*class="document-link__thumb"[^>]*alt=""', items[0]
    )
    assert f'href="/documents/{datasheet.pk}/sheet.pdf">Oak chair datasheet</a>' in items[0]
    assert f"(PDF, 3 pages, {datasheet.file_size / 1024:.1f}\xa0KB)" in items[0]
    # The Office file: a file-type icon from the site's static files.
    assert 'src="/static/img/file-types/text.svg" alt=""' in items[1]
    assert ">Prices</a>" in items[1] and "(DOCX, " in items[1]
    # Every preview URL on the page is a stored thumbnail of the preview (besides the
    # placeholder's data: URI, cms/media/placeholders.py).
    renditions = {r.url: r for r in datasheet.preview.renditions.all()}
    urls = set(re.findall(r'(?:src|srcset)="(?!data:)([^" ]+)', items[0]))
    urls |= set(re.findall(r", ([^ ]+) \d+w", items[0]))
    assert urls and urls <= set(renditions)
    for url in urls:
        assert renditions[url].file.storage.exists(renditions[url].file.name), url


def test_search_finds_a_product_by_a_word_only_its_datasheet_holds(
    client, catalogue, previewed, django_capture_on_commit_callbacks
):
    datasheet = previewed("Chair datasheet", sheet("Tested to EN 1728 fatigue standard"))
    with django_capture_on_commit_callbacks(execute=True):
        ProductPageFactory(
            parent=catalogue, title="Oak chair", body=[documents_block([datasheet])]
        )
        ProductPageFactory(parent=catalogue, title="Walnut table")

    html = client.get("/search/", {"q": "fatigue"}).content.decode()

    assert card_titles(html) == ["Oak chair"]
    assert '<p class="card__found-in">in: Chair datasheet</p>' in html
    # A word on the card itself needs no "in:".
    assert "card__found-in" not in client.get("/search/", {"q": "oak"}).content.decode()


def test_a_datasheet_replaced_later_reindexes_the_products_that_list_it(
    client, catalogue, previewed, django_capture_on_commit_callbacks
):
    """The products using a document are found through Wagtail's reference index."""
    datasheet = previewed("Chair datasheet", sheet("Beech"))
    with django_capture_on_commit_callbacks(execute=True):
        ProductPageFactory(parent=catalogue, title="Chair", body=[documents_block([datasheet])])
    assert card_titles(client.get("/search/", {"q": "ergonomic"}).content.decode()) == []

    with django_capture_on_commit_callbacks(execute=True):
        datasheet.file = ContentFile(sheet("Ergonomic backrest"), name="v2.pdf")
        datasheet.save()

    html = client.get("/search/", {"q": "ergonomic"}).content.decode()
    assert card_titles(html) == ["Chair"]
    assert "in: Chair datasheet" in html


def test_api_gives_page_count_and_preview_renditions(
    client, catalogue, previewed, django_capture_on_commit_callbacks
):
    datasheet = previewed("Chair datasheet", sheet(pages=4))
    prices = previewed("Prices", docx(), filename="prices.docx")
    with django_capture_on_commit_callbacks(execute=True):
        page = ProductPageFactory(parent=catalogue, body=[documents_block([datasheet, prices])])
        page.save_revision().publish()
    thumbnail = datasheet.preview.get_rendition(API_DOCUMENT_PREVIEW)

    body = client.get(f"/api/v2/pages/{page.pk}/").json()["body"]
    (block,) = [b for b in body if b["type"] == "documents"]
    pdf, office = block["value"]
    assert pdf["page_count"] == 4
    assert pdf["preview"]["url"].endswith(thumbnail.url)
    assert (pdf["preview"]["width"], pdf["preview"]["height"]) == (
        thumbnail.width,
        thumbnail.height,
    )
    assert office["page_count"] is None and office["preview"] is None

    items = {item["id"]: item for item in client.get("/api/v2/documents/").json()["items"]}
    assert items[datasheet.pk]["page_count"] == 4
    assert items[datasheet.pk]["preview"]["full_url"].endswith(thumbnail.url)
    assert items[prices.pk]["preview"] is None
