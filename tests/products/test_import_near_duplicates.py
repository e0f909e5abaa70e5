"""An imported image new to the library that looks like a library image: a warning in the
report at its place, and the import does exactly what it would have done without it."""

import io
import json

import pytest
from django.core.files.base import ContentFile
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Collection

from cms.demo.generate import make_photo
from cms.media.duplicates import hash_image
from tests.factories import ProductPageFactory
from tests.products.catalogue_helpers import run_import, write_bundle

pytestmark = pytest.mark.django_db

PHOTO = make_photo("Oak chair", 1200, 900)


def smaller_copy(data):
    picture = PILImage.open(io.BytesIO(data)).convert("RGB").resize((600, 450))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=75)
    return buffer.getvalue()


def bundle(folder):
    data = {
        "format": "catalogue/1",
        "products": [
            {
                "sku": "LAMP-1",
                "title": "Steel lamp",
                "hero_image": {"file": "images/lamp.jpg", "alt": "A steel lamp"},
            },
            {
                "sku": "CH-2",
                "title": "Oak chair again",
                "hero_image": {"file": "images/chair.jpg", "alt": "An oak chair"},
                "body": [{"type": "gallery", "value": ["images/chair.jpg"]}],
            },
        ],
    }
    files = {
        "images/lamp.jpg": make_photo("Steel lamp", 800, 600),
        "images/chair.jpg": smaller_copy(PHOTO),
    }
    return write_bundle(folder, data, files)


def test_a_near_duplicate_is_a_located_warning_and_is_imported_all_the_same(tmp_path, catalogue):
    Image = get_image_model()
    chair = Image(
        title="Oak chair",
        collection=Collection.get_first_root_node(),
        file=ContentFile(PHOTO, "chair.jpg"),
    )
    chair.save()
    hash_image(chair)
    for sku in ("A-1", "A-2", "A-3"):
        ProductPageFactory(parent=catalogue, sku=sku, hero_image=chair).save_revision().publish()

    ok, out, err = run_import(bundle(tmp_path / "b"), "--json", "--no-renditions")
    assert ok, err
    report = json.loads(out)
    assert report["format"] == "catalogue-report/1"
    assert report["warnings"] == [
        {
            "where": "products[1].hero_image.file",
            "message": f"images/chair.jpg looks like library image #{chair.pk} “Oak chair”, "
            "used on 3 products",
        }
    ]
    # Imported as it would be without the warning: a new library image, used twice.
    assert report["images"] == {"created": 2, "reused": 0}
    assert Image.objects.filter(title="chair").exists()
