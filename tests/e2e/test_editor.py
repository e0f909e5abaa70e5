"""Editors in the admin, in a real browser."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from tests.factories import ProductPageFactory
from tests.media.corpus import JPEG

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def log_in(page, site_url, user):
    page.goto(site_url + "/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(site_url + "/admin/")


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user("edith", password="pw")
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def test_a_broken_image_upload_shows_a_readable_error(page, site_url, editor):
    log_in(page, site_url, editor)
    page.goto(site_url + "/admin/images/add/")
    page.get_by_label("Title").fill("Broken")
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "broken.jpg", "mimeType": "image/jpeg", "buffer": JPEG[: len(JPEG) // 2]}]
    )
    response_statuses = []
    page.on("response", lambda r: response_statuses.append(r.status))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("broken.jpg: not a valid image")).to_be_visible()
    assert all(status < 500 for status in response_statuses)


def test_an_editor_without_publish_rights_can_only_submit(page, site_url, editor, catalogue):
    product = ProductPageFactory(parent=catalogue, title="Oak chair")
    log_in(page, site_url, editor)
    page.goto(site_url + f"/admin/pages/{product.pk}/edit/")
    # The action menu offers submitting to the moderation workflow, and no publishing.
    expect(page.locator('button[name="action-submit"]')).to_be_attached()
    expect(page.locator('button[name="action-submit"]')).to_contain_text("Submit")
    expect(page.locator('button[name="action-publish"]')).to_have_count(0)
