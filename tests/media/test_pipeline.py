"""The pipeline after a file is accepted: renditions made ahead of time and clean, files
removed with their rows, nothing orphaned, and the commands that check and backfill."""

from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Collection

from cms.media import transaction as media_transaction
from cms.media.audit import audit_media
from cms.media.models import RetiredFile
from cms.media.renditions import ahead_of_time_specs
from tests.factories import DocumentFactory, ImageFactory, ProductPageFactory, gallery_block
from tests.media.corpus import JPEG, encode, image_cases, jpeg_with_exif, upload_lamp_through_admin
from tests.storage import StoredMedia

pytestmark = pytest.mark.django_db

CASES = {name: content for name, content, _ in image_cases()}


def new_image(name="photo.jpg", content=JPEG, **fields):
    image = get_image_model()(
        title=fields.pop("title", name),
        collection=Collection.get_first_root_node(),
        file=ContentFile(content, name=name),
        **fields,
    )
    image.save()
    return image


def files(folder=""):
    """Names (without folders) of the stored files under a folder."""
    return sorted(name.rsplit("/", 1)[-1] for name in StoredMedia().names(folder))


def test_saving_an_image_makes_every_rendition_after_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        image = new_image()
    specs = set(image.renditions.values_list("filter_spec", flat=True))
    assert specs == set(ahead_of_time_specs())


def test_after_an_admin_upload_the_page_render_makes_no_rendition(
    admin_client, client, catalogue, django_capture_on_commit_callbacks
):
    image = upload_lamp_through_admin(admin_client, django_capture_on_commit_callbacks)
    page = ProductPageFactory(parent=catalogue, hero_image=image, body=[gallery_block([image])])
    Rendition = get_image_model().get_rendition_model()
    before = Rendition.objects.count()

    with CaptureQueriesContext(connection) as queries:
        assert client.get(page.url).status_code == 200
    assert Rendition.objects.count() == before
    assert not [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]


@pytest.mark.parametrize(
    "name",
    [
        "cmyk.jpg",
        "deep.png",
        "palette.png",
        "animated.gif",
        "animated.webp",
        "photo.avif",
        "located.jpg",
    ],
)
def test_renditions_are_rgb_without_metadata(media, name):
    image = new_image(name, CASES[name])
    for spec in ("format-jpeg|width-480", "format-webp|width-480", "format-avif|width-480"):
        rendition = image.get_rendition(spec)
        with PILImage.open(media.open(rendition.file.name)) as picture:
            assert picture.mode in ("RGB", "RGBA"), (spec, picture.mode)
            assert not picture.getexif(), spec
            assert "icc_profile" not in picture.info
            assert getattr(picture, "n_frames", 1) == 1


def test_sixteen_bit_png_keeps_its_tones(media):
    image = new_image("deep.png", CASES["deep.png"])  # grey at 40000 of 65535
    with PILImage.open(media.open(image.get_rendition("format-jpeg|width-480").file.name)) as p:
        grey = p.convert("L").getpixel((5, 5))
    assert 140 < grey < 170  # 40000 / 257 = 155, not clipped to white


def test_exif_rotated_photo_is_stored_upright(media):
    image = new_image("rotated.jpg", jpeg_with_exif(orientation=6))  # stored 120x60, turned
    assert (image.width, image.height) == (60, 120)
    rendition = image.get_rendition("format-jpeg|width-60")
    assert (rendition.width, rendition.height) == (60, 120)
    with PILImage.open(media.open(rendition.file.name)) as picture:
        assert picture.size == (60, 120)
        # The red half was on the left; turned a quarter clockwise it is on top.
        red, green, blue = picture.getpixel((30, 10))
        assert red > 200 and blue < 60
        red, green, blue = picture.getpixel((30, 110))
        assert blue > 200 and red < 60


def test_cmyk_rendition_keeps_its_colour(media):
    cmyk = encode(PILImage.new("CMYK", (40, 30), (0, 255, 255, 0)), "JPEG")  # pure red ink
    image = new_image("cmyk.jpg", cmyk)
    with PILImage.open(media.open(image.get_rendition("format-png|width-40").file.name)) as p:
        red, green, blue = p.convert("RGB").getpixel((20, 15))
    assert red > 200 and green < 80 and blue < 80


def test_replacing_the_file_regenerates_renditions_and_retires_old_files(
    media, django_capture_on_commit_callbacks
):
    """The old files stay for pages still cached, retired until media_audit deletes them
    (tests/media/test_replaced_images.py)."""
    with django_capture_on_commit_callbacks(execute=True):
        image = new_image("first.jpg")
    old_original = image.file.name
    old_renditions = {r.file.name for r in image.renditions.all()}
    assert old_renditions

    with django_capture_on_commit_callbacks(execute=True):
        image.file = ContentFile(CASES["graphic.png"], name="second.png")
        image.save()

    image.refresh_from_db()
    retired = set(RetiredFile.objects.values_list("name", flat=True))
    assert retired == {old_original, *old_renditions}
    assert all(media.exists(name) for name in retired)
    assert set(image.renditions.values_list("filter_spec", flat=True)) == set(
        ahead_of_time_specs()
    )
    assert all(r.file.name.startswith("images/second") for r in image.renditions.all())


def test_deleting_media_removes_files_after_commit(media, django_capture_on_commit_callbacks):
    image = ImageFactory()
    rendition = image.get_rendition("width-100")
    document = DocumentFactory()
    names = [image.file.name, rendition.file.name, document.file.name]
    assert all(media.exists(n) for n in names)

    with django_capture_on_commit_callbacks(execute=True):
        image.delete()
        document.delete()
    assert not any(media.exists(n) for n in names)


def test_files_written_in_a_rolled_back_transaction_are_removed():
    with pytest.raises(RuntimeError), media_transaction.atomic():
        new_image("a.jpg")
        DocumentFactory()
        raise RuntimeError("the import failed half way")
    assert files() == []
    assert get_image_model().objects.count() == 0


def test_nested_success_then_outer_failure_removes_the_files():
    with pytest.raises(RuntimeError), media_transaction.atomic():
        with media_transaction.atomic():
            new_image("inner.jpg")
        raise RuntimeError("outer failure")
    assert files() == []


def test_a_failed_row_insert_leaves_no_file(monkeypatch):
    from django.db.models import Model

    def broken_save(self, *args, **kwargs):
        self.file.save(self.file.name, self.file.file, save=False)  # as Django's pre_save
        raise RuntimeError("database unavailable")

    image = get_image_model()(
        title="x",
        collection=Collection.get_first_root_node(),
        file=ContentFile(JPEG, name="x.jpg"),
    )
    monkeypatch.setattr(Model, "save", broken_save)
    with pytest.raises(RuntimeError):
        image.save()
    assert files() == []


def test_media_audit_finds_and_deletes_orphans_only_when_asked(media):
    kept = new_image("kept.jpg")
    missing = new_image("missing.jpg")
    media.delete(missing.file.name)
    # A file left by a plain transaction.atomic that rolled back.
    with pytest.raises(RuntimeError), transaction.atomic():
        new_image("orphan.jpg")
        raise RuntimeError
    orphan = [n for n in files("original_images") if n.startswith("orphan")]
    assert orphan

    out = StringIO()
    call_command("media_audit", stdout=out)
    text = out.getvalue()
    assert f"missing file: image {missing.pk} -> {missing.file.name}" in text
    assert f"orphan: original_images/{orphan[0]}" in text
    assert "1 rows with missing files, 1 orphan files." in text
    assert media.exists(f"original_images/{orphan[0]}")  # listed, not deleted

    # --grace 0: the orphan was written a moment ago (tests/media/test_audit_grace.py).
    call_command("media_audit", "--delete", "--grace", "0", stdout=StringIO())
    assert not media.exists(f"original_images/{orphan[0]}")
    assert media.exists(kept.file.name)
    assert audit_media().orphans == []


def test_warm_renditions_backfills_once():
    images = [new_image(f"p{n}.jpg", title=f"P{n}") for n in range(3)]
    out = StringIO()
    call_command("warm_renditions", stdout=out, stderr=StringIO())
    expected = len(images) * len(ahead_of_time_specs())
    assert f"3 images checked, {expected} renditions and 3 placeholders created." in out.getvalue()
    out = StringIO()
    call_command("warm_renditions", stdout=out, stderr=StringIO())
    assert "3 images checked, 0 renditions and 0 placeholders created." in out.getvalue()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_warm_renditions_uses_several_processes(settings):
    # The uploads' tasks make renditions in this process, which starts its encoding threads;
    # the forked workers inherit the pool without its threads and must make their own.
    for n in range(4):
        new_image(f"p{n}.jpg", title=f"P{n}")
    Rendition = get_image_model().get_rendition_model()
    assert Rendition.objects.count() == 4 * len(ahead_of_time_specs())
    Rendition.objects.all().delete()
    out = StringIO()
    call_command("warm_renditions", "--jobs", "2", stdout=out, stderr=StringIO())
    made = 4 * len(ahead_of_time_specs())
    # The placeholders were made with the uploads' renditions: none is missing.
    assert f"4 images checked, {made} renditions and 0 placeholders created." in out.getvalue()
    assert Rendition.objects.count() == 4 * len(ahead_of_time_specs())
