import pytest
from django.core.files.base import ContentFile

from tests.factories import DocumentFactory, ImageFactory, ProductPageFactory, image_block

pytestmark = pytest.mark.django_db


def test_documents_are_served_by_wagtail_with_security_headers(client):
    document = DocumentFactory(title="Manual")
    response = client.get(document.url)
    assert document.url == f"/documents/{document.pk}/manual.pdf"
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_non_pdf_documents_download_as_attachments(client):
    document = DocumentFactory(file=ContentFile(b"sku,price\n", name="prices.csv"))
    response = client.get(document.url)
    assert response["Content-Disposition"].startswith("attachment")


@pytest.mark.local_media  # MEDIA_ROOT on the local disk: not with S3 storage
def test_only_renditions_are_served_from_media_url_in_debug(client, settings, reload_urls):
    settings.DEBUG = True
    reload_urls()
    image = ImageFactory()
    rendition = image.get_rendition("width-100")
    document = DocumentFactory()
    assert client.get(rendition.url).status_code == 200
    assert client.get(f"/media/{image.file.name}").status_code == 404
    assert client.get(f"/media/{document.file.name}").status_code == 404


def test_media_health_report(admin_client, catalogue, settings):
    settings.MEDIA_OVERSIZED_PIXELS = 500
    no_alt_hero = ImageFactory(title="Hero without alt", description="")
    no_alt_block = ImageFactory(title="Block without alt", description="")
    no_alt_decorative = ImageFactory(title="Decorative only", description="")
    no_alt_own_alt = ImageFactory(title="Own alt in block", description="")
    ProductPageFactory(
        parent=catalogue,
        hero_image=no_alt_hero,
        body=[
            image_block(no_alt_block),
            image_block(no_alt_decorative, decorative=True),
            image_block(no_alt_own_alt, alt="Given here"),
        ],
    )
    unused = ImageFactory(title="Never used", size=(640, 480))
    # A document stored before the content check existed: its row skips today's save checks.
    broken = DocumentFactory(title="Old upload")
    broken.file.storage.delete(broken.file.name)
    broken.file.storage.save(broken.file.name, ContentFile(b"MZ not a pdf"))

    html = admin_client.get("/admin/reports/media-health/").content.decode()

    missing_alt = html.split('id="missing-alt"')[1].split("</section>")[0]
    assert "Hero without alt" in missing_alt and "Block without alt" in missing_alt
    assert "Decorative only" not in missing_alt and "Own alt in block" not in missing_alt
    unused_section = html.split('id="unused"')[1].split("</section>")[0]
    assert f"/admin/images/{unused.pk}/" in unused_section and "Never used" in unused_section
    assert "Hero without alt" not in unused_section
    oversized = html.split('id="oversized"')[1].split("</section>")[0]
    assert "Never used" in oversized  # 640 px wide, over the 500 px limit set above
    failing = html.split('id="failing-documents"')[1].split("</section>")[0]
    assert "Old upload" in failing and "not a PDF" in failing


def test_media_health_report_is_for_staff_only(client, django_user_model):
    user = django_user_model.objects.create_user("visitor", password="pw")
    client.force_login(user)
    assert client.get("/admin/reports/media-health/").status_code in (302, 403)


def test_image_credit_and_alt_text_hint_in_the_upload_form(admin_client):
    html = admin_client.get("/admin/images/add/").content.decode()
    assert "Alt text (description)" in html
    assert "for people who cannot see it" in html
    assert 'name="credit"' in html
