from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, Revision

from cms.demo.content import ensure_superuser
from home.models import HomePage
from products.models import ProductCategory, ProductPage

pytestmark = pytest.mark.django_db


def counts():
    return {
        "users": get_user_model().objects.count(),
        "images": get_image_model().objects.count(),
        "documents": get_document_model().objects.count(),
        "collections": Collection.objects.count(),
        "revisions": Revision.objects.count(),
        "products": ProductPage.objects.count(),
        "categories": ProductCategory.objects.count(),
    }


def run_load_demo():
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_load_demo_builds_the_demo_site_once(client, media, settings):
    settings.DEBUG = True  # `make run`: development settings
    first_output = run_load_demo()
    first = counts()
    second_output = run_load_demo()

    # Idempotent: the second run adds nothing.
    assert counts() == first
    assert "0 products, 0 images and 0 documents added" in second_output
    assert "Superuser created: admin / catalogue-admin" in first_output
    assert "already exists" in second_output

    # Media: a Demo collection of varied generated images and PDFs, stored with their hashes.
    demo = Collection.objects.get(name="Demo")
    images = get_image_model().objects.filter(collection=demo)
    documents = get_document_model().objects.filter(collection=demo)
    assert {i.file.name.rsplit(".", 1)[1] for i in images} == {"jpg", "png", "webp"}
    assert len({(i.width, i.height) for i in images}) >= 5
    for image in images:
        assert image.description and image.credit and len(image.file_hash) == 40
        assert media.exists(image.file.name)
    for document in documents:
        assert document.file_size and len(document.file_hash) == 40
        assert media.read(document.file.name).startswith(b"%PDF-")

    # Catalogue: 24 live products in 4 categories, each with every kind of media block.
    assert first["products"] == 24 and first["categories"] == 4
    for product in ProductPage.objects.live():
        assert product.hero_image and product.category
        assert {"gallery", "documents", "specs"} <= {b.block_type for b in product.body}
        assert product.related_products.count() == 2

    # The home page shows a demo image and featured products.
    home = HomePage.objects.get()
    assert home.hero_image.collection == demo
    html = client.get("/").content.decode()
    assert f'alt="{home.hero_image.description}"' in html
    assert "Featured products" in html and html.count('class="card"') == 6


def test_superuser_credentials_come_from_settings(settings):
    settings.DEBUG = True
    settings.DEMO_ADMIN_USERNAME = "editor-in-chief"
    settings.DEMO_ADMIN_PASSWORD = "s3cret-pass"
    user, password = ensure_superuser()
    assert user.is_superuser and user.check_password("s3cret-pass")
    assert password == "s3cret-pass"
    assert ensure_superuser() == (user, None)  # exists: password not reported again


def test_load_demo_makes_no_superuser_with_debug_off(media, settings):
    """Production-like settings: the content loads, but no user with a published password."""
    settings.DEBUG = False
    output = run_load_demo()
    assert not get_user_model().objects.exists()
    assert "No superuser created: DEBUG is off" in output
    assert "catalogue-admin" not in output
    assert ProductPage.objects.live().count() == 24


def test_demo_documents_get_previews(client, django_capture_on_commit_callbacks):
    """`make run`'s product pages show each datasheet's first page (the preview tasks run
    once the demo is committed), and documents of an older demo database get theirs on the
    next load."""
    with django_capture_on_commit_callbacks(execute=True):
        run_load_demo()
    documents = get_document_model().objects.all()
    assert documents and all(d.preview_id and d.page_count == 1 for d in documents)

    product = ProductPage.objects.live().first()
    html = client.get(product.url).content.decode()
    assert 'class="document-link__thumb"' in html and "(PDF, 1 page, " in html

    get_document_model().objects.update(preview=None, page_count=None, previewed_hash="")
    with django_capture_on_commit_callbacks(execute=True):
        run_load_demo()
    assert all(d.preview_id and d.page_count == 1 for d in get_document_model().objects.all())
