import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, Revision

from home.models import HomePage

pytestmark = pytest.mark.django_db


def counts():
    return {
        "users": get_user_model().objects.count(),
        "images": get_image_model().objects.count(),
        "documents": get_document_model().objects.count(),
        "collections": Collection.objects.count(),
        "revisions": Revision.objects.count(),
    }


def run_load_demo():
    from io import StringIO

    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_load_demo_creates_media_in_a_demo_collection(media_root):
    output = run_load_demo()

    demo = Collection.objects.get(name="Demo")
    images = get_image_model().objects.filter(collection=demo)
    documents = get_document_model().objects.filter(collection=demo)
    assert images.count() >= 6 and documents.count() >= 3
    # Varied formats and sizes, with alt text, credit and a content hash.
    assert {i.file.name.rsplit(".", 1)[1] for i in images} == {"jpg", "png", "webp"}
    assert len({(i.width, i.height) for i in images}) == images.count()
    for image in images:
        assert image.description and image.credit and len(image.file_hash) == 40
        assert (media_root / image.file.name).is_file()
    for document in documents:
        assert (media_root / document.file.name).read_bytes().startswith(b"%PDF-")
    assert "Superuser created: admin / catalogue-admin" in output


def test_load_demo_twice_gives_the_same_counts():
    run_load_demo()
    first = counts()
    output = run_load_demo()
    assert counts() == first
    assert "0 images and 0 documents added" in output
    assert "already exists" in output


def test_superuser_credentials_come_from_settings(settings):
    settings.DEMO_ADMIN_USERNAME = "editor-in-chief"
    settings.DEMO_ADMIN_PASSWORD = "s3cret-pass"
    output = run_load_demo()
    user = get_user_model().objects.get(username="editor-in-chief")
    assert user.is_superuser and user.check_password("s3cret-pass")
    assert "editor-in-chief / s3cret-pass" in output


def test_demo_home_page_shows_a_demo_image(client):
    run_load_demo()
    home = HomePage.objects.get()
    assert home.hero_image.collection.name == "Demo"
    html = client.get("/").content.decode()
    assert f'alt="{home.hero_image.description}"' in html
