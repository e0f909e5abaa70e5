"""Near-duplicates in the admin: the multiple upload's warning and the merge action
(cms/media/duplicate_views.py, cms/media/merge.py), through HTTP as each role."""

import io
import json
import re
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Collection, Page

from cms.demo.generate import make_photo
from cms.media import merge
from cms.media.duplicates import hash_image
from cms.media.models import RetiredFile
from tests.factories import ProductPageFactory, gallery_block, image_block

pytestmark = pytest.mark.django_db

Image = get_image_model()
PHOTO = make_photo("Oak chair", 1200, 900)


def smaller_copy(data, quality=80):
    picture = PILImage.open(io.BytesIO(data)).convert("RGB").resize((600, 450))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def member(django_user_model, group, name):
    user = django_user_model.objects.create_user(name, password="pw")
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def moderator(django_user_model):
    return member(django_user_model, "Moderators", "moe")


@pytest.fixture
def editor(django_user_model):
    return member(django_user_model, "Editors", "edith")


def library_image(content, title, name="photo.jpg"):
    image = Image(
        title=title,
        description=f"{title}, library alt",
        collection=Collection.get_first_root_node(),
        file=ContentFile(content, name),
    )
    image.save()
    hash_image(image)
    return image


def publish(page, user):
    page.save_revision(user=user).publish(user=user)
    return Page.objects.get(pk=page.pk).specific


def upload(client, content, name="upload.jpg"):
    response = client.post(
        "/admin/images/multiple/add/",
        {
            "files[]": SimpleUploadedFile(name, content),
            "collection": Collection.objects.get(name="Product images").pk,
        },
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    assert response.status_code == 200
    return json.loads(response.content)


# Upload


def test_uploading_a_near_duplicate_says_which_image_and_where_it_is_used(
    client, moderator, catalogue
):
    existing = library_image(PHOTO, "Oak chair")
    for title in ("Chair A", "Chair B"):
        publish(ProductPageFactory(parent=catalogue, title=title, hero_image=existing), moderator)
    client.force_login(moderator)

    data = upload(client, smaller_copy(PHOTO))

    assert data["success"] and data["duplicate"]
    box = data["confirm_duplicate_upload"]
    assert f"Looks like #{existing.pk} “Oak chair”, used on 2 products." in box
    new = Image.objects.get(pk=data["image_id"])
    assert len(new.perceptual_hash) == 16  # made in the request, not left to the task
    # "Use the existing image" deletes the upload through Wagtail's own delete view.
    assert f'href="/admin/images/multiple/{new.pk}/delete/"' in box
    response = client.post(f"/admin/images/multiple/{new.pk}/delete/")
    assert json.loads(response.content)["success"]
    assert not Image.objects.filter(pk=new.pk).exists()


def test_a_different_photo_uploads_without_a_warning(client, moderator):
    library_image(PHOTO, "Oak chair")
    client.force_login(moderator)
    data = upload(client, make_photo("Steel lamp", 1200, 900))
    assert data["success"] and data["duplicate"] is False


def test_a_byte_identical_upload_keeps_wagtails_own_box(client, moderator):
    library_image(PHOTO, "Oak chair")
    client.force_login(moderator)
    data = upload(client, PHOTO)
    assert data["duplicate"]
    assert "Keep new image" in data["confirm_duplicate_upload"]
    assert "Looks like" not in data["confirm_duplicate_upload"]


def chooser_upload(client, content, select_format=False):
    response = client.post(
        "/admin/images/chooser/create/" + ("?select_format=true" if select_format else ""),
        {
            "image-chooser-upload-title": "New chair",
            "image-chooser-upload-file": SimpleUploadedFile("new.jpg", content),
            "image-chooser-upload-collection": Collection.objects.get(name="Product images").pk,
            "image-chooser-upload-description": "A chair",
        },
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    assert response.status_code == 200, response.content[:500]
    return json.loads(response.content)


@pytest.mark.parametrize("select_format", [False, True])
def test_the_choosers_upload_offers_the_existing_image(
    client, moderator, catalogue, select_format
):
    existing = library_image(PHOTO, "Oak chair")
    publish(ProductPageFactory(parent=catalogue, hero_image=existing), moderator)
    client.force_login(moderator)

    data = chooser_upload(client, smaller_copy(PHOTO), select_format)

    assert data["step"] == "duplicate_found"
    html = data["htmlFragment"]
    assert f"It looks like #{existing.pk} “Oak chair”, used on 1 product." in html
    new = Image.objects.get(title="New chair")
    # "Use the existing image": delete the upload, then go on with the existing one.
    href = re.search(r'<a href="([^"]+)" class="use-existing-image', html).group(1)
    response = client.post(href.replace("&amp;", "&"))
    assert response.status_code == 302
    chosen = (
        f"/admin/images/chooser/{existing.pk}/select_format/?select_format=true"
        if select_format
        else f"/admin/images/chooser/chosen/{existing.pk}/"
    )
    assert response["Location"] == chosen
    assert not Image.objects.filter(pk=new.pk).exists()


def test_the_choosers_upload_of_a_different_photo_is_chosen_at_once(client, moderator):
    library_image(PHOTO, "Oak chair")
    client.force_login(moderator)
    data = chooser_upload(client, make_photo("Steel lamp", 1200, 900))
    assert data["step"] == "chosen"


# Merge


@pytest.fixture
def merge_case(catalogue, moderator):
    """Three lookalikes: `keep` and two others, used by a live page (hero, image block and
    gallery), a live page with an unpublished draft, and a page never published."""
    keep = library_image(PHOTO, "Oak chair")
    copy_b = library_image(smaller_copy(PHOTO), "Oak chair (small)", "b.jpg")
    copy_c = library_image(smaller_copy(PHOTO, quality=50), "Oak chair (c)", "c.jpg")
    for image in (copy_b, copy_c):
        image.get_rendition("width-100")
    live = ProductPageFactory(
        parent=catalogue, title="Live", hero_image=copy_b, hero_alt="Hero alt on this page"
    )
    live.body = [image_block(copy_b, alt="Own alt"), gallery_block([copy_b, copy_c, keep])]
    live = publish(live, moderator)
    drafted = ProductPageFactory(parent=catalogue, title="Drafted", hero_image=keep)
    drafted.body = [gallery_block([copy_c])]
    drafted = publish(drafted, moderator)
    drafted.body = [image_block(copy_b, alt="Draft alt", caption="Draft caption")]
    drafted.save_revision(user=moderator)
    unpublished = ProductPageFactory(parent=catalogue, title="Unpublished", live=False)
    unpublished.hero_image = copy_c
    unpublished.save()
    unpublished.save_revision(user=moderator)
    return keep, [copy_b, copy_c], {"live": live, "drafted": drafted, "unpublished": unpublished}


def body_uses(stream):
    """(block type, image id, alt text) of each image use in raw body data."""
    uses = []
    for block in stream.raw_data:
        if block["type"] == "image":
            value = block["value"]["image"]
            uses.append(("image", value["image"], value["alt_text"]))
        elif block["type"] == "gallery":
            for item in block["value"]:
                value = item["value"] if item.get("type") == "item" else item
                uses.append(("gallery", value["image"], value["alt_text"]))
    return uses


def test_a_moderator_merges_and_every_use_points_at_the_kept_image(
    client, moderator, merge_case, media, django_capture_on_commit_callbacks
):
    keep, others, pages = merge_case
    ids = [keep.pk, *(o.pk for o in others)]
    rendition_files = [r.file.name for o in others for r in o.renditions.all()]
    assert rendition_files
    client.force_login(moderator)

    form = client.get("/admin/media/merge-images/", {"image": ids})
    assert form.status_code == 200
    assert b'name="keep"' in form.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/media/merge-images/", {"image": ids, "keep": str(keep.pk)})
    assert response.status_code == 302
    assert response["Location"] == f"/admin/images/{keep.pk}/"

    assert list(Image.objects.filter(pk__in=ids).values_list("pk", flat=True)) == [keep.pk]
    live = Page.objects.get(pk=pages["live"].pk).specific
    assert live.live and not live.has_unpublished_changes
    assert live.hero_image_id == keep.pk and live.hero_alt == "Hero alt on this page"
    assert body_uses(live.body) == [
        ("image", keep.pk, "Own alt"),
        ("gallery", keep.pk, ""),
        ("gallery", keep.pk, ""),
        ("gallery", keep.pk, ""),
    ]
    assert live.live_revision == live.latest_revision
    assert body_uses(live.latest_revision.as_object().body) == body_uses(live.body)

    drafted = Page.objects.get(pk=pages["drafted"].pk).specific
    assert body_uses(drafted.body) == [("gallery", keep.pk, "")]  # live version
    assert drafted.has_unpublished_changes
    draft = drafted.latest_revision.as_object()
    assert body_uses(draft.body) == [("image", keep.pk, "Draft alt")]
    assert draft.body.raw_data[0]["value"]["caption"] == "Draft caption"

    unpublished = Page.objects.get(pk=pages["unpublished"].pk).specific
    assert not unpublished.live and unpublished.hero_image_id == keep.pk
    assert unpublished.latest_revision.as_object().hero_image_id == keep.pk

    # The others' renditions: rows gone, files kept for pages still cached.
    assert not Image.get_rendition_model().objects.filter(image_id__in=ids[1:]).exists()
    stored = set(media.names("images"))
    assert set(rendition_files) <= stored
    assert set(rendition_files) <= set(RetiredFile.objects.values_list("name", flat=True))
    # The kept image's renditions were made after the commit.
    assert keep.renditions.exists()


def test_an_editor_may_not_merge(client, editor, merge_case):
    keep, others, pages = merge_case
    ids = [keep.pk, *(o.pk for o in others)]
    client.force_login(editor)
    assert client.get("/admin/media/merge-images/", {"image": ids}).status_code == 403
    response = client.post("/admin/media/merge-images/", {"image": ids, "keep": str(keep.pk)})
    assert response.status_code == 403
    assert Image.objects.filter(pk__in=ids).count() == 3
    assert Page.objects.get(pk=pages["live"].pk).specific.hero_image_id == others[0].pk


def test_an_editor_may_not_merge_even_images_they_uploaded(client, editor):
    images = [library_image(PHOTO, "Mine"), library_image(smaller_copy(PHOTO), "Mine too")]
    Image.objects.filter(pk__in=[i.pk for i in images]).update(uploaded_by_user=editor)
    client.force_login(editor)
    response = client.post(
        "/admin/media/merge-images/",
        {"image": [i.pk for i in images], "keep": str(images[0].pk)},
    )
    assert response.status_code == 403
    assert Image.objects.filter(pk__in=[i.pk for i in images]).count() == 2


def test_a_merge_that_fails_changes_nothing(moderator, merge_case):
    keep, others, pages = merge_case
    plan = merge.plan_merge(keep, [keep, *others])
    assert {p.pk for p in plan.pages} == {p.pk for p in pages.values()}
    revisions = {p.pk: Page.objects.get(pk=p.pk).latest_revision_id for p in pages.values()}
    with (
        mock.patch.object(merge, "retire_renditions", side_effect=OSError("disk full")),
        pytest.raises(OSError),
    ):
        merge.apply_merge(plan, moderator)
    assert Image.objects.filter(pk__in=[keep.pk, *(o.pk for o in others)]).count() == 3
    live = Page.objects.get(pk=pages["live"].pk).specific
    assert live.hero_image_id == others[0].pk
    assert body_uses(live.body)[0] == ("image", others[0].pk, "Own alt")
    assert {p.pk: Page.objects.get(pk=p.pk).latest_revision_id for p in pages.values()} == (
        revisions
    )
    assert all(o.renditions.exists() for o in others)


def test_the_health_report_lists_the_groups_with_a_merge_link(admin_client, merge_case):
    keep, others, _ = merge_case
    response = admin_client.get("/admin/reports/media-health/")
    html = response.content.decode()
    assert "Near-duplicate images (1)" in html
    for image in (keep, *others):
        assert f'href="/admin/images/{image.pk}/"' in html
    query = "&amp;".join(f"image={image.pk}" for image in (keep, *others))
    assert f'href="/admin/media/merge-images/?{query}"' in html


def test_a_page_the_index_has_not_seen_is_found_through_its_foreign_key(moderator, catalogue):
    keep = library_image(PHOTO, "Oak chair")
    copy = library_image(smaller_copy(PHOTO), "Copy", "b.jpg")
    # Made live from code: no revision, and its index task never ran (no commit in a test).
    page = ProductPageFactory(parent=catalogue, title="From code", hero_image=copy)
    plan = merge.plan_merge(keep, [copy])
    assert [p.pk for p in plan.pages] == [page.pk]
    merge.apply_merge(plan, moderator)
    page = Page.objects.get(pk=page.pk).specific
    assert page.hero_image_id == keep.pk and page.live
    assert not Image.objects.filter(pk=copy.pk).exists()


def test_a_merge_moves_each_uses_own_crop_onto_the_kept_image(moderator, catalogue):
    """The copy is half the size of the kept photo: a crop of the copy's left half is the
    kept photo's left half, on the hero and on a gallery use alike."""
    keep = library_image(PHOTO, "Oak chair")  # 1200 x 900
    copy = library_image(smaller_copy(PHOTO), "Copy", "b.jpg")  # 600 x 450
    left_half = {"x": 0, "y": 0, "width": 300, "height": 450}
    page = ProductPageFactory(parent=catalogue, title="Cropped", hero_image=copy)
    page.hero_focal_point = left_half
    gallery = gallery_block([copy])
    gallery["value"][0]["focal_point"] = left_half
    page.body = json.dumps([gallery])
    page = publish(page, moderator)

    merge.apply_merge(merge.plan_merge(keep, [copy]), moderator)

    page = Page.objects.get(pk=page.pk).specific
    kept_half = {"x": 0, "y": 0, "width": 600, "height": 900}
    assert (page.hero_image_id, page.hero_focal_point) == (keep.pk, kept_half)
    item = page.body.raw_data[0]["value"][0]
    item = item.get("value", item)  # a ListBlock item, saved with its id
    assert (item["image"], item["focal_point"]) == (keep.pk, kept_half)
