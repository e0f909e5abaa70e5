"""PDF previews, page counts and text (cms/media/previews.py, pdf_render.py, pdf_worker.py):
made after commit in a limited child process; a PDF that gives none never harms an upload,
the task's process or a page, and is listed in the media health report."""

import resource
import time
from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection

from cms.demo.generate import make_pdf, make_pdf_pages, make_photo
from cms.media.models import DocumentText, RetiredFile
from cms.media.pdf_render import PDFRefused, render_pdf
from cms.media.pdf_worker import clean_text
from cms.media.renditions import preview_specs
from tests.factories import DocumentFactory
from tests.media.corpus import awkward_pdf_cases, docx, hostile_pdf_cases, pdf_cpu_burner

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def datasheet(pages=3):
    lines = ["Walnut veneer"]
    return make_pdf_pages(
        [(f"Datasheet page {n}", [f"Word{n} on page {n}", *lines]) for n in range(1, pages + 1)]
    )


def upload_document(admin_client, title, filename, content):
    """Upload through the admin's add form, running what is queued on commit (the preview)."""
    response = admin_client.post(
        "/admin/documents/add/",
        {
            "title": title,
            "file": SimpleUploadedFile(filename, content),
            "collection": Collection.get_first_root_node().pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return get_document_model().objects.get(title=title)


@pytest.fixture
def upload(admin_client, django_capture_on_commit_callbacks):
    def upload(title, filename, content):
        with django_capture_on_commit_callbacks(execute=True):
            document = upload_document(admin_client, title, filename, content)
        document.refresh_from_db()
        return document

    return upload


def test_an_uploaded_pdf_gets_a_preview_page_count_and_text(upload, admin_client):
    document = upload("Oak chair datasheet", "oak.pdf", datasheet(pages=3))

    assert document.page_count == 3
    assert document.preview_error == ""
    assert document.previewed_hash == document.file_hash
    preview = document.preview
    assert preview.document_preview and preview.width <= 480 and preview.height <= 720
    # A4 is taller than wide: the first page fits the box's height.
    assert preview.height == 720 or preview.width == 480
    # Its thumbnails are made ahead of time, and nothing else.
    assert sorted(preview.renditions.values_list("filter_spec", flat=True)) == preview_specs()
    text = DocumentText.objects.get(document=document).text
    assert "Word1 on page 1" in text and "Word3 on page 3" in text

    # The document's edit page shows the first page and the page count.
    edit_page = admin_client.get(f"/admin/documents/edit/{document.pk}/").content.decode()
    assert 'alt="First page of Oak chair datasheet"' in edit_page
    assert "3 pages" in edit_page

    # Editors never see previews among their images.
    listing = admin_client.get("/admin/images/").content.decode()
    chooser = admin_client.get("/admin/images/chooser/").content.decode()
    assert "Preview of Oak chair datasheet" not in listing + chooser


def test_an_upload_with_a_pdf_that_gives_no_preview_still_succeeds(upload, admin_client):
    name, content, reason = hostile_pdf_cases()[0]  # JavaScript: passes the upload check
    document = upload("Scripted", name, content)

    assert document.preview is None and document.page_count is None
    assert reason in document.preview_error
    assert not DocumentText.objects.filter(document=document).exists()
    edit_page = admin_client.get(f"/admin/documents/edit/{document.pk}/").content.decode()
    assert f"No preview: {document.preview_error}" in edit_page
    report = admin_client.get("/admin/reports/media-health/").content.decode()
    assert "PDFs without a preview (1)" in report
    assert "Scripted</a>: No preview: it holds JavaScript" in report


def test_office_documents_get_no_preview_and_no_note(upload):
    document = upload("Price list", "prices.docx", docx())
    assert document.preview is None and document.preview_error == ""
    assert document.previewed_hash == document.file_hash


def test_replacing_the_file_replaces_the_preview_and_retires_the_old_one(
    upload, admin_client, django_capture_on_commit_callbacks, media
):
    document = upload("Manual", "manual.pdf", datasheet(pages=2))
    old = document.preview
    old_files = [old.file.name, *old.renditions.values_list("file", flat=True)]

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/documents/edit/{document.pk}/",
            {
                "title": "Manual",
                "file": SimpleUploadedFile("manual-v2.pdf", datasheet(pages=5)),
                "collection": Collection.get_first_root_node().pk,
            },
        )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.page_count == 5
    assert document.preview_id != old.pk
    assert not get_image_model().objects.filter(pk=old.pk).exists()
    # Its files stay for pages still cached, retired as a replaced image's are; media_audit
    # deletes them after the grace period (tests/media/test_replaced_images.py).
    assert all(media.exists(name) for name in old_files)
    assert set(RetiredFile.objects.values_list("name", flat=True)) >= set(old_files)


def test_deleting_a_document_deletes_its_preview(upload, django_capture_on_commit_callbacks):
    document = upload("Manual", "manual.pdf", datasheet(pages=1))
    preview_pk = document.preview_id
    with django_capture_on_commit_callbacks(execute=True):
        document.delete()
    assert not get_image_model().objects.filter(pk=preview_pk).exists()


def test_a_file_replaced_while_its_preview_was_made_keeps_the_newer_result(
    django_capture_on_commit_callbacks,
):
    """The task for the first file finds the row changed: it stores nothing."""
    from cms.media.previews import update_preview

    document = DocumentFactory(file=ContentFile(datasheet(pages=1), name="a.pdf"))
    stale = get_document_model().objects.get(pk=document.pk)
    document.file = ContentFile(datasheet(pages=4), name="b.pdf")
    document.save()
    get_document_model().objects.filter(pk=stale.pk).update(file_hash=document.file_hash)
    update_preview(document.pk)
    document.refresh_from_db()
    assert document.page_count == 4


def test_imported_documents_get_previews(django_capture_on_commit_callbacks):
    """Imports and demo content add documents through cms/media/library.py."""
    from cms.media.library import add_document

    with django_capture_on_commit_callbacks(execute=True):
        document, created = add_document(
            datasheet(pages=2),
            "sheet.pdf",
            title="Imported sheet",
            collection=Collection.get_first_root_node(),
        )
    document.refresh_from_db()
    assert created and document.page_count == 2 and document.preview is not None


def test_text_is_read_from_the_first_pages_up_to_the_cap(settings):
    settings.MEDIA_PDF_TEXT_PAGES = 2
    rendered = render_pdf(datasheet(pages=4))
    assert rendered.page_count == 4
    assert "Word2" in rendered.text and "Word3" not in rendered.text

    settings.MEDIA_PDF_TEXT_MAX_CHARS = 30
    text = render_pdf(datasheet(pages=4)).text
    assert text.startswith("Datasheet page 1 Word1") and len(text) <= 30


def test_a_page_of_any_shape_fits_the_pixel_box():
    strip = make_pdf("Strip").replace(b"/MediaBox [0 0 595 842]", b"/MediaBox [0 0 14400 10]")
    rendered = render_pdf(strip)
    with Image.open(BytesIO(rendered.preview)) as picture:
        assert picture.width == 480 and picture.height <= 720


def test_a_render_over_its_cpu_time_is_stopped(settings):
    settings.MEDIA_PDF_CPU_SECONDS = 1
    started = time.monotonic()
    with pytest.raises(PDFRefused, match="more than 1 s of CPU"):
        render_pdf(pdf_cpu_burner())
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("name,content", awkward_pdf_cases(), ids=lambda v: str(v)[:20])
def test_awkward_pdfs_that_pdfium_reads_safely_get_a_preview(name, content):
    rendered = render_pdf(content)
    assert rendered.page_count == 1 and rendered.preview[:2] == b"\xff\xd8"


def test_a_render_over_the_wall_time_is_killed(settings):
    settings.MEDIA_PDF_TIMEOUT_SECONDS = 0.05
    started = time.monotonic()
    with pytest.raises(PDFRefused, match="longer than 0.05 s"):
        render_pdf(make_pdf("Slow"))
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("name,content,reason", hostile_pdf_cases(), ids=lambda v: str(v)[:20])
def test_hostile_pdfs_end_with_no_preview_and_a_bounded_worker(
    name, content, reason, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_PDF_CPU_SECONDS = 4
    settings.MEDIA_PDF_TIMEOUT_SECONDS = 8
    settings.MEDIA_PDF_MEMORY_BYTES = 256 * MB
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.monotonic()

    with django_capture_on_commit_callbacks(execute=True):
        document = DocumentFactory(title=name, file=ContentFile(content, name=name))

    elapsed = time.monotonic() - started
    document.refresh_from_db()
    assert document.preview is None
    assert document.preview_error.startswith("No preview: ")
    assert reason in document.preview_error
    assert elapsed < settings.MEDIA_PDF_TIMEOUT_SECONDS + 5  # no stuck task
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert peak_after - peak_before < 200 * MB  # the task's own process


def test_a_photo_heavy_pdf_renders(settings):
    photo = make_photo("Datasheet", 800, 600)
    pdf = make_pdf_pages([("Photo page", ["Pictured"])], photos=[photo])
    rendered = render_pdf(pdf)
    assert rendered.page_count == 1 and rendered.preview[:2] == b"\xff\xd8"


def test_extracted_text_is_storable_in_any_database():
    """No NUL (PostgreSQL refuses it), no lone surrogates from broken UTF-16, no controls."""
    assert clean_text("Oak\x00chair \ud800 load\n\n rating\x85ok") == "Oak chair ? load rating ok"


def test_a_rendered_page_the_image_check_refuses_is_a_noted_failure(
    settings, django_capture_on_commit_callbacks
):
    settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS = 10_000  # the preview is 480 x 679
    with django_capture_on_commit_callbacks(execute=True):
        document = DocumentFactory(file=ContentFile(datasheet(pages=1), name="a.pdf"))
    document.refresh_from_db()
    assert document.preview is None and document.page_count is None
    assert document.preview_error.startswith("No preview: the rendered page was refused (")
    assert document.previewed_hash == document.file_hash


def test_searching_the_image_library_in_the_admin_works_with_previews_left_out(client, admin_user):
    """The permission policy filters previews out of the admin's image listing; a search
    there must be able to filter on that too (a server error in the scale run found it)."""
    from tests.media.test_editor_media_rights import upload_image

    client.force_login(admin_user)
    upload_image(client, title="Uploaded on A")
    response = client.get("/admin/images/?q=Uploaded")
    assert response.status_code == 200 and "Uploaded on A" in response.content.decode()
