"""Media on a live page changes only through someone who may publish that page.

An Editor uploads an image (or a document) into the product collections, a Moderator
publishes a product that uses it; from then on the Editor may no longer replace its file, alt
text or title, move or delete it, through any admin path, while a Moderator still may.
"""

import json
import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection

from cms.demo.generate import make_image, make_pdf
from tests.factories import ProductPageFactory, documents_block, gallery_block

pytestmark = pytest.mark.django_db

Image = get_image_model()
Document = get_document_model()


def member(django_user_model, group, name):
    user = django_user_model.objects.create_user(name, password="pw")
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(django_user_model):
    return member(django_user_model, "Editors", "edith")


@pytest.fixture
def moderator(django_user_model):
    return member(django_user_model, "Moderators", "moe")


def as_user(client, user):
    client.force_login(user)
    return client


def upload_image(client, title="Oak chair photo", alt="An oak chair, front view"):
    response = client.post(
        "/admin/images/add/",
        {
            "title": title,
            "file": SimpleUploadedFile("chair.jpg", make_image(title, 800, 600, "jpeg")),
            "collection": Collection.objects.get(name="Product images").pk,
            "description": alt,
            "credit": "",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    return Image.objects.get(title=title)


def upload_document(client, title="Chair datasheet"):
    response = client.post(
        "/admin/documents/add/",
        {
            "title": title,
            "file": SimpleUploadedFile("chair.pdf", make_pdf(title)),
            "collection": Collection.objects.get(name="Product documents").pk,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    return Document.objects.get(title=title)


def publish_product(catalogue, moderator, title="Oak chair", **fields):
    product = ProductPageFactory(parent=catalogue, title=title, live=False, **fields)
    product.save_revision(user=moderator).publish(user=moderator)
    product.refresh_from_db()
    assert product.live
    return product


def image_edit_form(image, **changes):
    form = {
        "title": image.title,
        "description": image.description,
        "credit": image.credit,
        "collection": image.collection_id,
        "tags": "",
        "focal_point_x": "",
        "focal_point_y": "",
        "focal_point_width": "",
        "focal_point_height": "",
    }
    return {**form, **changes}


def rendition_urls(html):
    """Rendition URLs on a page: under /media/images/, or the renditions bucket's images/."""
    return set(re.findall(r"[^\"' ,]*/images/[^\"' ,]+", html))


def messages_on(client, response):
    """The admin messages a redirect leaves, as the page it leads to shows them."""
    return client.get(response["Location"]).content.decode()


@pytest.fixture
def image_on_live_page(client, editor, moderator, catalogue):
    """An image the Editor uploaded, the hero of a product the Moderator published."""
    image = upload_image(as_user(client, editor))
    product = publish_product(catalogue, moderator, hero_image=image)
    client.logout()
    return image, product


def test_editor_cannot_replace_the_file_or_alt_text_of_an_image_on_a_live_page(
    client, editor, image_on_live_page
):
    image, product = image_on_live_page
    page_before = client.get(product.url).content.decode()
    assert 'alt="An oak chair, front view"' in page_before
    file_before = image.file.name

    as_user(client, editor)
    response = client.post(
        f"/admin/images/{image.pk}/",
        image_edit_form(
            image,
            title="Swapped",
            description="Something else entirely",
            file=SimpleUploadedFile("other.jpg", make_image("Other", 640, 480, "jpeg")),
        ),
    )
    assert response.status_code == 302
    shown = messages_on(client, response)
    assert "used on live pages that you may not publish" in shown and "“Oak chair”" in shown

    image.refresh_from_db()
    assert (image.title, image.description, image.file.name) == (
        "Oak chair photo",
        "An oak chair, front view",
        file_before,
    )
    client.logout()
    page_after = client.get(product.url).content.decode()
    assert 'alt="An oak chair, front view"' in page_after
    assert "Something else entirely" not in page_after
    assert rendition_urls(page_after) == rendition_urls(page_before) != set()


def test_editor_opening_the_edit_form_is_told_which_pages_keep_them_out(
    client, editor, image_on_live_page
):
    image, _ = image_on_live_page
    response = as_user(client, editor).get(f"/admin/images/{image.pk}/")
    assert response.status_code == 302 and response["Location"] == "/admin/images/"
    assert "“Oak chair”" in messages_on(client, response)


def test_editor_cannot_delete_an_image_on_a_live_page(client, editor, image_on_live_page):
    image, _ = image_on_live_page
    as_user(client, editor)
    response = client.post(f"/admin/images/{image.pk}/delete/")
    assert response.status_code == 302
    assert "“Oak chair”" in messages_on(client, response)
    assert Image.objects.filter(pk=image.pk).exists()


def test_editor_cannot_bulk_delete_or_move_an_image_on_a_live_page(
    client, editor, image_on_live_page
):
    image, _ = image_on_live_page
    products = Collection.objects.get(name="Product images")
    elsewhere = products.add_child(name="Chairs")
    as_user(client, editor)

    client.post(f"/admin/bulk/media/customimage/delete/?id={image.pk}")
    assert Image.objects.filter(pk=image.pk).exists()

    client.post(
        f"/admin/bulk/media/customimage/add_to_collection/?id={image.pk}",
        {"collection": elsewhere.pk},
    )
    image.refresh_from_db()
    assert image.collection == products


def test_editor_cannot_change_an_image_on_a_live_page_through_the_multiple_upload_form(
    client, editor, image_on_live_page
):
    image, _ = image_on_live_page
    response = as_user(client, editor).post(
        f"/admin/images/multiple/{image.pk}/",
        {
            f"image-{image.pk}-title": "Swapped",
            f"image-{image.pk}-description": "Something else entirely",
            f"image-{image.pk}-collection": image.collection_id,
            f"image-{image.pk}-tags": "",
        },
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    assert response.status_code == 403
    image.refresh_from_db()
    assert image.description == "An oak chair, front view"


def test_an_image_in_a_live_page_body_is_locked_too(client, editor, moderator, catalogue):
    """Found through Wagtail's reference index: a gallery in the StreamField body."""
    image = upload_image(as_user(client, editor))
    publish_product(catalogue, moderator, body=json.dumps([gallery_block([image])]))
    response = client.post(
        f"/admin/images/{image.pk}/", image_edit_form(image, description="Changed")
    )
    assert "“Oak chair”" in messages_on(client, response)
    image.refresh_from_db()
    assert image.description == "An oak chair, front view"


@pytest.fixture
def tasks_waiting(settings):
    """Background tasks queued and never run, as in production between a publish and the task
    worker's turn (the database backend): Wagtail's reference index update among them."""
    settings.TASKS = {"default": {"BACKEND": settings.TASK_BACKENDS["dummy"]}}


def test_an_image_in_a_live_page_body_is_locked_before_the_task_worker_runs(
    client, editor, moderator, catalogue, tasks_waiting
):
    image = upload_image(as_user(client, editor))
    product = publish_product(catalogue, moderator, body=json.dumps([gallery_block([image])]))
    client.logout()
    assert 'alt="An oak chair, front view"' in client.get(product.url).content.decode()

    response = as_user(client, editor).post(
        f"/admin/images/{image.pk}/", image_edit_form(image, description="Changed by the editor")
    )
    assert "“Oak chair”" in messages_on(client, response)
    image.refresh_from_db()
    assert image.description == "An oak chair, front view"
    client.logout()
    page = client.get(product.url).content.decode()
    assert 'alt="An oak chair, front view"' in page and "Changed by the editor" not in page


def test_an_image_taken_off_a_live_page_is_free_again_before_the_task_worker_runs(
    client, settings, editor, moderator, catalogue
):
    """The lock follows the published version at once both ways: a stale index would keep the
    Editor out until the worker's turn."""
    image = upload_image(as_user(client, editor))
    product = publish_product(catalogue, moderator, body=json.dumps([gallery_block([image])]))
    settings.TASKS = {"default": {"BACKEND": settings.TASK_BACKENDS["dummy"]}}
    product.body = "[]"
    product.save_revision(user=moderator).publish(user=moderator)

    response = client.post(
        f"/admin/images/{image.pk}/", image_edit_form(image, description="Better alt text")
    )
    assert response.status_code == 302 and response["Location"] == "/admin/images/"
    image.refresh_from_db()
    assert image.description == "Better alt text"


def test_a_hero_of_a_page_made_live_from_code_is_locked_before_the_task_worker_runs(
    client, editor, catalogue, tasks_waiting
):
    """A page saved live from code (no publish) waits for the task worker to index its hero:
    the lock reads the hero's foreign key (related_name="+", hidden) directly."""
    image = upload_image(as_user(client, editor))
    ProductPageFactory(parent=catalogue, title="Coded chair", live=True, hero_image=image)
    response = client.post(f"/admin/images/{image.pk}/delete/")
    assert "“Coded chair”" in messages_on(client, response)
    assert Image.objects.filter(pk=image.pk).exists()


def test_editor_still_edits_own_unused_or_draft_only_image(client, editor, catalogue):
    image = upload_image(as_user(client, editor))
    ProductPageFactory(parent=catalogue, title="Draft chair", live=False, hero_image=image)
    response = client.post(
        f"/admin/images/{image.pk}/", image_edit_form(image, description="Better alt text")
    )
    assert response.status_code == 302 and response["Location"] == "/admin/images/"
    image.refresh_from_db()
    assert image.description == "Better alt text"


def test_moderator_may_change_an_image_on_a_page_they_may_publish(
    client, moderator, image_on_live_page
):
    image, product = image_on_live_page
    as_user(client, moderator)
    response = client.post(
        f"/admin/images/{image.pk}/", image_edit_form(image, description="An oak chair, reviewed")
    )
    assert response.status_code == 302 and response["Location"] == "/admin/images/"
    client.logout()
    assert 'alt="An oak chair, reviewed"' in client.get(product.url).content.decode()


def assert_document_swap_refused(client, document):
    """The signed-in user's new file and title for the document are refused, naming the page."""
    file_before = document.file.name
    response = client.post(
        f"/admin/documents/edit/{document.pk}/",
        {
            "title": "Swapped datasheet",
            "file": SimpleUploadedFile("other.pdf", make_pdf("Other")),
            "collection": document.collection_id,
            "tags": "",
        },
    )
    assert "“Oak chair”" in messages_on(client, response)
    document.refresh_from_db()
    assert (document.title, document.file.name) == ("Chair datasheet", file_before)


@pytest.fixture
def document_on_live_page(client, editor, moderator, catalogue):
    document = upload_document(as_user(client, editor))
    product = publish_product(catalogue, moderator, body=json.dumps([documents_block([document])]))
    client.logout()
    return document, product


def test_editor_cannot_replace_or_delete_a_document_on_a_live_page(
    client, editor, document_on_live_page
):
    document, product = document_on_live_page
    assert_document_swap_refused(as_user(client, editor), document)

    response = client.post(f"/admin/documents/delete/{document.pk}/")
    assert "“Oak chair”" in messages_on(client, response)
    client.post(f"/admin/bulk/media/customdocument/delete/?id={document.pk}")
    assert Document.objects.filter(pk=document.pk).exists()
    client.logout()
    assert "Chair datasheet" in client.get(product.url).content.decode()


def test_a_document_on_a_live_page_is_locked_before_the_task_worker_runs(
    client, editor, moderator, catalogue, tasks_waiting
):
    document = upload_document(as_user(client, editor))
    product = publish_product(catalogue, moderator, body=json.dumps([documents_block([document])]))
    assert_document_swap_refused(as_user(client, editor), document)
    client.logout()
    assert "Chair datasheet" in client.get(product.url).content.decode()


def test_moderator_may_change_a_document_on_a_live_page(client, moderator, document_on_live_page):
    document, _ = document_on_live_page
    as_user(client, moderator)
    response = client.post(
        f"/admin/documents/edit/{document.pk}/",
        {"title": "Chair datasheet v2", "collection": document.collection_id, "tags": ""},
    )
    assert response.status_code == 302 and response["Location"] == "/admin/documents/"
    document.refresh_from_db()
    assert document.title == "Chair datasheet v2"
