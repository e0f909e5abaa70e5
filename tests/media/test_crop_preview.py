"""The crop chooser's preview answers (cms/media/crop_views.py): what each rendition of a use
shows, from Wagtail's own crop computation, to those who may choose the image."""

import pytest
from django.contrib.auth.models import Group

from tests.factories import ImageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, django_user_model):
    user = django_user_model.objects.create_user("edith", password="pw")
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return user


def preview(client, image, **params):
    return client.get(f"/admin/media/crop-preview/{image.pk}/", params)


def test_answers_the_area_of_each_rendition_of_the_use(client, editor):
    image = ImageFactory(size=(800, 400))
    answer = preview(client, image, use="hero", focal_point="600, 100, 100, 100").json()
    assert (answer["width"], answer["height"], answer["error"]) == (800, 400, "")
    assert answer["focal_point"] is None
    assert answer["preview"]["width"] == 800
    by_name = {r["name"]: r for r in answer["renditions"]}
    assert set(by_name) == {"hero", "og_image", "card"}
    assert by_name["hero"]["rect"] == [0, 0, 800, 400]  # width-only: the whole picture
    # card: 4:3 of 800x400, 533 wide, placed to hold the focal area.
    left, top, right, bottom = by_name["card"]["rect"]
    assert right - left in (533, 534) and (top, bottom) == (0, 400)
    assert left <= 600 and right >= 700
    assert left > 0  # not the image's own (centred) crop


def test_follows_the_library_focal_point_without_one(client, editor):
    image = ImageFactory(size=(800, 400))
    image.focal_point_x, image.focal_point_y = 50, 200
    image.focal_point_width = image.focal_point_height = 100
    image.save()
    answer = preview(client, image, use="gallery").json()
    assert answer["focal_point"] == [0, 150, 100, 100]
    thumb = next(r for r in answer["renditions"] if r["name"] == "gallery_thumb")
    assert thumb["rect"] == [0, 0, 400, 400]


def test_a_crop_outside_the_image_is_reported(client, editor):
    image = ImageFactory(size=(800, 400))
    answer = preview(client, image, use="image", focal_point="700, 0, 200, 10").json()
    assert "lies outside the image (800x400 pixels)" in answer["error"]


def test_refuses_unknown_uses_and_users_who_may_not_choose(client, django_user_model):
    image = ImageFactory(size=(80, 40))
    user = django_user_model.objects.create_user("nobody", password="pw")
    user.user_permissions.add(*Group.objects.get(name="Editors").permissions.all())
    client.force_login(user)  # admin access, but no collection permissions on images
    refused = preview(client, image, use="hero")
    assert (refused.status_code, refused.url) == (302, "/admin/")  # Wagtail's "denied"
    admin = django_user_model.objects.create_superuser("admin", password="pw")
    client.force_login(admin)
    assert preview(client, image, use="banner").status_code == 404
    client.logout()
    assert preview(client, image, use="hero").status_code == 302  # to the admin's login
