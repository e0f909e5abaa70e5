"""The expiry job (`manage.py expire_images`, and its task): pages that show an image past
its last day are refreshed in the edge cache, once; Moderators see a notice on the admin
dashboard; the media health report lists expired and soon-expiring images. The site's date
is the test's (`clock`)."""

import datetime
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from wagtail.contrib.frontend_cache.backends import BaseBackend

from cms.media.models import ExpiredImageNotice
from cms.media.tasks import expire_images_task
from tests.factories import ImageFactory, ProductPageFactory, gallery_block

pytestmark = pytest.mark.django_db

LAST_DAY = datetime.date(2026, 6, 15)


class RecordingBackend(BaseBackend):
    """A frontend cache that records each URL it refreshes, with what the page answers at
    that moment: the copy nginx would store."""

    refreshed = {}

    def purge(self, url):
        path = url.split("://", 1)[1].split("/", 1)[1]
        self.refreshed[url] = Client().get("/" + path).content.decode()


@pytest.fixture
def refreshed(settings):
    settings.WAGTAILFRONTENDCACHE = {
        "test": {"BACKEND": "tests.media.test_image_expiry_job.RecordingBackend"}
    }
    RecordingBackend.refreshed = {}
    return RecordingBackend.refreshed


@pytest.fixture
def expiring(catalogue):
    return ImageFactory(title="Spring campaign", expires=LAST_DAY)


@pytest.fixture
def product(catalogue, expiring):
    page = ProductPageFactory(
        parent=catalogue,
        title="Oak chair",
        hero_image=ImageFactory(title="Chair"),
        body=[gallery_block([expiring, ImageFactory(title="Side")])],
    )
    page.save_revision().publish()
    RecordingBackend.refreshed.clear()  # the publish's own refresh
    return page


def run_command():
    out = StringIO()
    call_command("expire_images", stdout=out)
    return out.getvalue()


def test_nothing_to_do_up_to_the_last_day(clock, refreshed, product, expiring):
    clock.today = LAST_DAY
    assert run_command().endswith("0 image(s) newly expired.\n")
    assert not refreshed and not ExpiredImageNotice.objects.exists()


def test_the_day_after_pages_are_refreshed_without_the_image_once(
    clock, refreshed, product, expiring, home, catalogue
):
    clock.today = LAST_DAY + datetime.timedelta(days=1)
    out = run_command()
    assert f"expired: image {expiring.pk} “Spring campaign” (last day 2026-06-15), 1 live" in out
    assert out.endswith("1 image(s) newly expired.\n")
    paths = {url.split("://", 1)[1].split("/", 1)[1] for url in refreshed}
    # The product and the listings above it (cards, featured products).
    assert {product.url.lstrip("/"), catalogue.url.lstrip("/"), ""} <= paths
    product_html = next(html for url, html in refreshed.items() if url.endswith(product.url))
    assert 'alt="Alt text for Spring campaign"' not in product_html
    assert 'alt="Alt text for Side"' in product_html
    notice = ExpiredImageNotice.objects.get()
    assert (notice.image, notice.expired_on, notice.pages_refreshed) == (expiring, LAST_DAY, 1)

    # Nothing new the next hour or the next day: one notice, no refresh.
    refreshed.clear()
    clock.advance(1)
    assert run_command().endswith("0 image(s) newly expired.\n")
    assert not refreshed and ExpiredImageNotice.objects.count() == 1


def test_a_new_date_that_passes_too_is_handled_again(clock, refreshed, product, expiring):
    clock.today = LAST_DAY + datetime.timedelta(days=1)
    run_command()
    expiring.expires = LAST_DAY + datetime.timedelta(days=10)  # rights renewed
    expiring.save()
    refreshed.clear()
    assert run_command().endswith("0 image(s) newly expired.\n")
    clock.advance(10)
    assert run_command().endswith("1 image(s) newly expired.\n")
    assert refreshed
    assert ExpiredImageNotice.objects.count() == 2


def test_the_task_runs_the_same_job(clock, refreshed, product, expiring):
    clock.today = LAST_DAY + datetime.timedelta(days=1)
    result = expire_images_task.enqueue()
    assert result.return_value == [expiring.pk]
    assert ExpiredImageNotice.objects.get().image == expiring


# The admin: Moderators see the notice on the dashboard, Editors do not.


def member(django_user_model, group, name):
    user = django_user_model.objects.create_user(name, password="pw")
    user.groups.add(Group.objects.get(name=group))
    return user


def dashboard(client, user):
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def test_moderators_see_expired_and_soon_expiring_images(
    client, clock, refreshed, product, expiring, django_user_model
):
    soon = ImageFactory(title="Summer banner", expires=LAST_DAY + datetime.timedelta(days=20))
    ImageFactory(title="Autumn banner", expires=LAST_DAY + datetime.timedelta(days=60))
    clock.today = LAST_DAY + datetime.timedelta(days=1)
    moderator = member(django_user_model, "Moderators", "moe")
    editor = member(django_user_model, "Editors", "edith")

    html = dashboard(client, moderator)
    assert 'id="image-expiry-section"' in html  # soon-expiring images, before any run
    assert "Expired in the last" not in html

    run_command()
    html = dashboard(client, moderator)
    expired = html.split('class="image-expiry__expired"')[1].split("</ul>")[0]
    assert f'href="/admin/images/{expiring.pk}/"' in expired
    assert "Spring campaign</a>: last day 15 June 2026, 1 live page refreshed" in expired
    expiring_list = html.split('class="image-expiry__expiring"')[1].split("</ul>")[0]
    assert "Summer banner</a>: last day 5 July 2026" in expiring_list
    assert f'href="/admin/images/{soon.pk}/"' in expiring_list
    assert "Autumn banner" not in html

    assert 'id="image-expiry-section"' not in dashboard(client, editor)


def test_the_notice_goes_once_the_rights_are_renewed(
    client, clock, refreshed, product, expiring, admin_user
):
    clock.today = LAST_DAY + datetime.timedelta(days=1)
    run_command()
    assert "Spring campaign" in dashboard(client, admin_user)
    expiring.expires = None
    expiring.save()
    assert 'id="image-expiry-section"' not in dashboard(client, admin_user)


def test_health_report_lists_expired_and_soon_expiring_images(admin_client, clock):
    clock.today = LAST_DAY
    gone = ImageFactory(title="Gone", expires=LAST_DAY - datetime.timedelta(days=1))
    today = ImageFactory(title="Last day today", expires=LAST_DAY)
    soon = ImageFactory(title="In thirty days", expires=LAST_DAY + datetime.timedelta(days=30))
    ImageFactory(title="In a year", expires=LAST_DAY + datetime.timedelta(days=365))
    ImageFactory(title="Forever")
    html = admin_client.get("/admin/reports/media-health/").content.decode()
    soon_section = html.split('id="expiring-soon"')[1].split("</section>")[0]
    expired_section = html.split('id="expired"')[1].split("</section>")[0]
    assert "(2)" in soon_section
    assert soon_section.index(today.title) < soon_section.index(soon.title)
    assert "last day 15 June 2026" in soon_section
    assert "In a year" not in soon_section and "Gone" not in soon_section
    assert "(1)" in expired_section and gone.title in expired_section
    assert f'href="/admin/images/{gone.pk}/"' in expired_section
