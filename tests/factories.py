"""Test data built with wagtail-factories, fixed for two traps of the stock factories:
they make a new root collection on every call, and leave `file_hash` empty."""

import factory
import wagtail_factories
from django.core.files.base import ContentFile
from wagtail.models import Collection

from cms.demo.generate import make_image, make_pdf


class ImageFactory(wagtail_factories.ImageFactory):
    collection = factory.LazyFunction(Collection.get_first_root_node)
    title = factory.Sequence(lambda n: f"Image {n}")
    description = factory.LazyAttribute(lambda o: f"Alt text for {o.title}")
    file = factory.LazyAttribute(
        lambda o: ContentFile(make_image(o.title, 640, 480, "jpeg"), name="photo.jpg")
    )

    @factory.post_generation
    def file_metadata(obj, create, extracted, **kwargs):
        obj._set_image_file_metadata()
        if create:
            obj.save(update_fields=["file_size", "file_hash"])


class DocumentFactory(wagtail_factories.DocumentFactory):
    collection = factory.LazyFunction(Collection.get_first_root_node)
    title = factory.Sequence(lambda n: f"Document {n}")
    file = factory.LazyAttribute(lambda o: ContentFile(make_pdf(o.title), name="manual.pdf"))

    @factory.post_generation
    def file_metadata(obj, create, extracted, **kwargs):
        obj._set_document_file_metadata()
        if create:
            obj.save(update_fields=["file_size", "file_hash"])
