import json
import re

import pytest
from django.core.exceptions import ValidationError
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from cms.media.renditions import all_filter_specs
from home.models import HomePage
from products.models import ProductIndexPage, ProductPage
from tests.factories import (
    DocumentFactory,
    ImageFactory,
    ProductCategoryFactory,
    ProductIndexPageFactory,
    ProductPageFactory,
    documents_block,
    gallery_block,
    image_block,
    specs_block,
)
from tests.storage import renditions_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(catalogue):
    manual = DocumentFactory(title="Assembly manual")
    related = ProductPageFactory(parent=catalogue, title="Walnut table", sku="TB-1")
    page = ProductPageFactory(
        parent=catalogue,
        title="Oak chair",
        sku="CH-1001",
        price="129.00",
        summary="Solid oak, hand finished.",
        category=ProductCategoryFactory(name="Chairs"),
        hero_image=ImageFactory(description="Oak chair seen from the front"),
        body=[
            gallery_block([ImageFactory(), ImageFactory()]),
            documents_block([manual]),
            specs_block([("Height", "92 cm")]),
        ],
    )
    page.tags.add("oak")
    page.related_products.create(product=related)
    page.save()
    return page


def test_product_page_shows_everything(client, product):
    response = client.get(product.url)
    assert response.status_code == 200
    html = response.content.decode()

    assert "<h1>Oak chair</h1>" in html
    assert "CH-1001" in html and "129.00 EUR" in html
    assert "Chairs" in html and "<li>oak</li>" in html
    # Hero: a picture in every format, first in line, with the library alt text.
    hero = re.search(r'<img[^>]*class="product__hero"[^>]*>', html).group(0)
    assert 'fetchpriority="high"' in hero and "loading" not in hero
    assert 'alt="Oak chair seen from the front"' in hero
    # Other images wait until they are scrolled to.
    assert html.count('loading="lazy"') == 3  # two gallery thumbnails and the related card
    # Documents: title, type and size from the stored file_size.
    manual = product.body[1].value[0]["document"]
    assert "Assembly manual</a>" in html and f"(PDF, {manual.file_size}\xa0bytes)" in html
    assert '<th scope="row">Height</th><td>92 cm</td>' in html
    # Related products as cards, breadcrumbs through the listing.
    assert '<section class="related container"' in html and "Walnut table" in html
    assert re.search(r'<nav class="breadcrumbs.*?Home.*?Products.*?Oak chair', html, re.S)


def test_one_image_as_hero_and_in_the_body_keeps_each_alt_text(client, catalogue):
    image = ImageFactory(description="A walnut desk with two drawers")
    image.get_renditions(*all_filter_specs())  # as after an upload: the prefetch finds them
    page = ProductPageFactory(
        parent=catalogue,
        hero_image=image,
        body=[image_block(image, alt="The desk seen from the front")],
    )
    html = client.get(page.url).content.decode()
    hero = re.search(r'<img[^>]*class="product__hero"[^>]*>', html).group(0)
    assert 'alt="A walnut desk with two drawers"' in hero
    assert html.count('alt="The desk seen from the front"') == 1


def test_a_small_original_names_each_width_once_per_srcset(client, catalogue):
    """Renditions never upscale: for an 800 px original, the 960 and 1440 px hero renditions
    are both 800 px wide, and a srcset may not repeat a width."""
    page = ProductPageFactory(parent=catalogue, hero_image=ImageFactory(size=(800, 600)))
    html = client.get(page.url).content.decode()
    hero = re.search(r"<picture>.*?class=\"product__hero\".*?</picture>", html, re.S).group(0)
    srcsets = re.findall(r'srcset="([^"]+)"', hero)
    assert len(srcsets) == 3  # AVIF, WebP and the JPEG fallback
    for srcset in srcsets:
        widths = re.findall(r" (\d+)w", srcset)
        assert widths == ["480", "800"]


def test_document_link_serves_the_file(client, product):
    html = client.get(product.url).content.decode()
    href = re.search(r'href="(/documents/[^"]+)"', html).group(1)
    response = client.get(href)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_seo_metadata(client, product):
    html = client.get(product.url).content.decode()

    assert "<title>Oak chair | Catalogue</title>" in html
    assert '<meta name="description" content="Solid oak, hand finished.">' in html
    assert f'<link rel="canonical" href="http://localhost{product.url}">' in html
    og_image = re.search(r'<meta property="og:image" content="([^"]+)">', html).group(1)
    assert og_image.startswith(renditions_url())
    assert re.search(r"fill-1200x630.*\.jpg$", og_image)


def test_json_ld_describes_the_product(client, product):
    html = client.get(product.url).content.decode()
    raw = re.search(r'<script type="application/ld\+json">(.+?)</script>', html, re.S).group(1)
    data = json.loads(raw)
    assert data["@type"] == "Product"
    assert data["sku"] == "CH-1001" and data["name"] == "Oak chair"
    assert data["offers"] == {
        "@type": "Offer",
        "price": "129.00",
        "priceCurrency": "EUR",
        "availability": "https://schema.org/InStock",
    }
    assert data["image"][0].startswith(renditions_url())


def test_json_ld_cannot_close_its_script_element(client, catalogue):
    page = ProductPageFactory(parent=catalogue, title="</script><script>alert(1)</script>")
    html = client.get(page.url).content.decode()
    assert "<script>alert(1)" not in html
    assert "\\u003C/script\\u003E" in html


def test_unpriced_product_has_no_offer(client, catalogue):
    page = ProductPageFactory(parent=catalogue, price=None)
    data = json.loads(
        re.search(r'ld\+json">(.+?)</script>', client.get(page.url).content.decode()).group(1)
    )
    assert "offers" not in data


def test_draft_product_is_not_public(client, catalogue):
    page = ProductPageFactory(parent=catalogue, live=False)
    assert client.get(f"/products/{page.slug}/").status_code == 404


def test_sku_must_be_unique_with_a_clear_message(catalogue):
    ProductPageFactory(parent=catalogue, title="Oak chair", sku="CH-1001")
    duplicate = ProductPage(title="Copy", slug="copy", sku="CH-1001")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert error.value.message_dict["sku"] == ["The SKU “CH-1001” is already used by “Oak chair”."]


@pytest.mark.parametrize("sku", ["", "has space", "x" * 65, "ünï"])
def test_sku_format(catalogue, sku):
    with pytest.raises(ValidationError) as error:
        ProductPage(title="P", slug="p", sku=sku).full_clean()
    assert "sku" in error.value.message_dict


def test_a_product_cannot_relate_to_itself(catalogue):
    page = ProductPageFactory(parent=catalogue)
    link = page.related_products.create(product=page)
    with pytest.raises(ValidationError):
        link.full_clean()


class ProductPageAdminTests(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.home = HomePage.objects.get()
        cls.catalogue = ProductIndexPageFactory(parent=cls.home)

    def setUp(self):
        # force_login: django-axes refuses client.login(), which authenticates without a request.
        self.client.force_login(self.create_test_user())

    def test_page_tree_rules(self):
        self.assertAllowedParentPageTypes(ProductPage, {ProductIndexPage})
        self.assertAllowedSubpageTypes(ProductIndexPage, {ProductPage})
        self.assertAllowedSubpageTypes(ProductPage, set())
        self.assertCanNotCreateAt(HomePage, ProductPage)
        self.assertAllowedParentPageTypes(ProductIndexPage, {HomePage})
        self.assertCanNotCreateAt(Page, ProductIndexPage)

    def test_editor_can_create_a_product_with_every_block(self):
        image = ImageFactory()
        document = DocumentFactory()
        category = ProductCategoryFactory(name="Lamps")
        image_use = {"image": image.pk, "alt_text": "Brass lamp", "decorative": ""}

        def list_items(values):
            data = {
                str(i): {"value": v, "deleted": "", "order": str(i), "id": ""}
                for i, v in enumerate(values)
            }
            data["count"] = str(len(values))
            return data

        data = nested_form_data(
            {
                "title": "Brass lamp",
                "slug": "brass-lamp",
                "sku": "LA-1",
                "price": "49.50",
                "summary": "A lamp.",
                "category": category.pk,
                "tags": "brass, lighting",
                "hero_image": image.pk,
                "body": streamfield(
                    [
                        ("heading", "Light"),
                        ("paragraph", rich_text("<p>Warm light.</p>")),
                        ("image", {"image": image_use, "caption": "On a desk"}),
                        ("gallery", list_items([image_use])),
                        ("documents", list_items([{"document": document.pk, "title": ""}])),
                        ("specs", list_items([{"name": "Height", "value": "150 cm"}])),
                    ]
                ),
                "related_products": inline_formset([]),
            }
        )
        self.assertCanCreate(self.catalogue, ProductPage, data)
        page = ProductPage.objects.get(sku="LA-1")
        assert [b.block_type for b in page.body] == [
            "heading",
            "paragraph",
            "image",
            "gallery",
            "documents",
            "specs",
        ]
        assert set(page.tags.names()) == {"brass", "lighting"}

    def test_duplicate_sku_is_explained_in_the_form(self):
        ProductPageFactory(parent=self.catalogue, title="Oak chair", sku="CH-1001")
        response = self.client.post(
            f"/admin/pages/add/products/productpage/{self.catalogue.pk}/",
            nested_form_data(
                {
                    "title": "Copy",
                    "slug": "copy",
                    "sku": "CH-1001",
                    "body": streamfield([]),
                    "related_products": inline_formset([]),
                }
            ),
        )
        assert response.status_code == 200
        self.assertContains(response, "The SKU “CH-1001” is already used by “Oak chair”.")
        assert ProductPage.objects.filter(sku="CH-1001").count() == 1

    def test_routable_and_renderable(self):
        page = ProductPageFactory(parent=self.catalogue, body=[gallery_block([ImageFactory()])])
        self.assertPageIsRoutable(page)
        self.assertPageIsRenderable(page)
        self.assertPageIsRoutable(self.catalogue)
        self.assertPageIsRenderable(self.catalogue)
