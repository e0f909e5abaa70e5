import pytest
from django.templatetags.static import static
from wagtail.models import Page, Site
from wagtail.test.utils import WagtailPageTestCase

from home.models import HomePage
from tests.factories import ImageFactory

pytestmark = pytest.mark.django_db


def test_home_page_is_the_default_sites_root():
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    # Wagtail's "Welcome to your new Wagtail site!" page is gone.
    assert not site.root_page.get_parent().get_children().exclude(pk=site.root_page.pk).exists()


def test_home_page_links_the_theme_through_static(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for asset in ("css/site.css", "js/site.js", "img/logo.svg", "img/favicon.svg"):
        assert f'"{static(asset)}"' in html
    assert 'href="#main"' in html  # skip link


def test_home_page_hero_is_a_responsive_picture(client):
    home = HomePage.objects.get()
    home.hero_image = ImageFactory(title="Hero", description="Workshop benches")
    home.save_revision().publish()

    html = client.get("/").content.decode()

    assert 'type="image/avif"' in html
    assert 'type="image/webp"' in html
    assert 'alt="Workshop benches"' in html
    assert 'fetchpriority="high"' in html
    assert 'width="480"' in html and "height=" in html


class HomePageTests(WagtailPageTestCase):
    def test_is_routable_and_renderable(self):
        home = HomePage.objects.get()
        self.assertPageIsRoutable(home)
        self.assertPageIsRenderable(home)

    def test_only_one_home_page_under_the_root(self):
        self.assertCanNotCreateAt(HomePage, HomePage)
        self.assertAllowedParentPageTypes(HomePage, {Page})


def test_unknown_url_uses_the_themed_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert static("css/site.css") in html


def test_500_template_renders_without_a_request():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Something went wrong" in html
    assert static("css/site.css") in html


def test_admin_login_page(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert b"password" in response.content
