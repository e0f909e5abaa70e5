"""Test data built with wagtail-factories. The stock factories make a new root collection on
every call: these use the existing root. (`file_hash` and `file_size` are set by the models'
save, cms/media/models.py.)"""

import factory
import wagtail_factories
from django.core.files.base import ContentFile
from django.utils.text import slugify
from wagtail.models import Collection

from cms.demo.generate import make_image, make_pdf
from products.models import ProductCategory, ProductIndexPage, ProductPage


class ImageFactory(wagtail_factories.ImageFactory):
    collection = factory.LazyFunction(Collection.get_first_root_node)
    title = factory.Sequence(lambda n: f"Image {n}")
    description = factory.LazyAttribute(lambda o: f"Alt text for {o.title}")
    file = factory.LazyAttribute(
        lambda o: ContentFile(make_image(o.title, *o.size, "jpeg"), name="photo.jpg")
    )

    class Params:
        size = (640, 480)


class DocumentFactory(wagtail_factories.DocumentFactory):
    collection = factory.LazyFunction(Collection.get_first_root_node)
    title = factory.Sequence(lambda n: f"Document {n}")
    file = factory.LazyAttribute(lambda o: ContentFile(make_pdf(o.title), name="manual.pdf"))


class ProductCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductCategory
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class ProductIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = ProductIndexPage

    title = "Products"
    slug = "products"


class ProductPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = ProductPage

    title = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.title))
    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    summary = "A sturdy product, made to last."
    hero_image = factory.SubFactory(ImageFactory)


# Raw StreamField data for product bodies (the format pages are stored in).


def image_use(image, alt="", decorative=False):
    return {"image": image.pk, "alt_text": alt, "decorative": decorative}


def image_block(image, alt="", decorative=False, caption=""):
    return {
        "type": "image",
        "value": {"image": image_use(image, alt, decorative), "caption": caption},
    }


def gallery_block(images):
    return {"type": "gallery", "value": [image_use(image) for image in images]}


def documents_block(documents, titles=None):
    titles = titles or [""] * len(documents)
    return {
        "type": "documents",
        "value": [{"document": d.pk, "title": t} for d, t in zip(documents, titles, strict=True)],
    }


def specs_block(rows):
    return {"type": "specs", "value": [{"name": n, "value": v} for n, v in rows]}
