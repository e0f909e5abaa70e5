"""Rendition sets from one decode (cms/media/rendition_sets.py): the same renditions as
Wagtail's path (rows, file names, sizes, pixels), Wagtail's path for what it does not
support, no orphan file when a page request makes the same rendition meanwhile, and admin
thumbnails made ahead of time."""

import io
import math
import threading
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.db import DatabaseError
from PIL import Image as PILImage
from PIL import ImageChops, ImageStat
from wagtail.images import get_image_model
from wagtail.images.models import Filter
from wagtail.models import Collection

from cms.demo.generate import make_photo
from cms.media import rendition_sets
from cms.media.audit import audit_media
from cms.media.models import CustomImage
from cms.media.renditions import ADMIN_THUMBNAIL, ahead_of_time_specs
from tests.media.corpus import JPEG, upload_lamp_through_admin

pytestmark = pytest.mark.django_db

Rendition = get_image_model().get_rendition_model()


@pytest.fixture
def no_upload_task():
    """Images whose renditions the test makes itself (not the upload's task)."""
    with mock.patch("cms.media.models.generate_renditions") as task:
        yield task


def new_image(content, name="photo.jpg", **fields):
    image = get_image_model()(
        title=name, collection=Collection.get_first_root_node(), file=ContentFile(content, name)
    )
    for field, value in fields.items():
        setattr(image, field, value)
    image.save()
    return image


@pytest.fixture(scope="module")
def photo():
    # Photo-like (texture and grain): flat shapes would flatter any resampler.
    return make_photo("Rendition set", 2000, 1500)


def decoded(file):
    file.seek(0)
    return PILImage.open(io.BytesIO(file.read())).convert("RGB")


def psnr(a, b):
    assert a.size == b.size
    stat = ImageStat.Stat(ImageChops.difference(a, b))
    mse = sum(stat.sum2) / (3 * a.width * a.height)
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def wagtail_file(image, spec):
    """What Wagtail's own path makes for `spec` (CleanFilter, full-resolution resize)."""
    return image.generate_rendition_file(Filter(spec))


def no_wagtail_path():
    """Fail if anything goes through Wagtail's per-rendition path."""
    return mock.patch.object(
        CustomImage, "generate_rendition_file", side_effect=AssertionError("Wagtail's path")
    )


def test_rows_and_file_names_are_wagtails(no_upload_task):
    # A focal point off centre: fill crops follow it, and their focal_point_key is set.
    image = new_image(
        make_photo("Rows", 1600, 1200),
        focal_point_x=1200,
        focal_point_y=300,
        focal_point_width=200,
        focal_point_height=160,
    )
    specs = ahead_of_time_specs()
    expected = {}
    for spec in specs:
        file = wagtail_file(image, spec)
        width, height = decoded(file).size
        expected[spec] = (Filter(spec).get_cache_key(image), f"images/{file.name}", width, height)

    with no_wagtail_path():
        made = rendition_sets.make_rendition_set(image, specs)

    rows = {
        r.filter_spec: (r.focal_point_key, r.file.name, r.width, r.height)
        for r in image.renditions.all()
    }
    assert rows == expected
    assert {spec: (r.filter_spec, r.width, r.height) for spec, r in made.items()} == {
        spec: (spec, *expected[spec][2:]) for spec in specs
    }
    assert rows["format-jpeg|fill-640x480"][0]  # the focal point is part of the key
    # Wagtail's own lookup finds them: no template or API call generates anything.
    with no_wagtail_path():
        assert set(image.get_renditions(*specs)) == set(specs)


def test_pixels_match_wagtails_full_resolution_resize(no_upload_task, photo):
    """The one decode, draft and pyramid change the resampling only: every geometry, written
    losslessly through both paths, is within 40 dB PSNR of Wagtail's resize from full size."""
    image = new_image(photo)
    geometries = {
        "|".join(["format-png", *(op for op in s.split("|") if not op.startswith("format"))])
        for s in ahead_of_time_specs()
    }
    made = rendition_sets.make_rendition_set(image, sorted(geometries))
    for spec, rendition in made.items():
        with rendition.file.open("rb") as ours:
            mine = decoded(ours)
        reference = decoded(wagtail_file(image, spec))
        assert mine.size == reference.size == (rendition.width, rendition.height), spec
        assert psnr(mine, reference) >= 40, spec


def test_lossy_outputs_are_as_faithful_as_wagtails(no_upload_task, photo):
    """Encoded outputs: ours is as close to the full-resolution reference pixels as Wagtail's
    own output of the same spec (within 0.5 dB), at identical dimensions."""
    image = new_image(photo)
    specs = ["format-avif|fill-200x200", "format-webp|width-480", "format-jpeg|fill-320x240"]
    made = rendition_sets.make_rendition_set(image, specs)
    for spec in specs:
        reference = decoded(wagtail_file(image, spec.split("|", 1)[1] + "|format-png"))
        with made[spec].file.open("rb") as ours:
            mine = decoded(ours)
        theirs = decoded(wagtail_file(image, spec))
        assert mine.size == theirs.size, spec
        assert psnr(mine, reference) >= psnr(theirs, reference) - 0.5, spec


def test_unsupported_specs_go_through_wagtails_path(no_upload_task):
    image = new_image(JPEG)
    unusual = ["bgcolor-ff0000|format-jpeg|width-100", "format-webp-lossless|width-100"]
    specs = ["format-jpeg|width-100", *unusual]
    wagtail = CustomImage.generate_rendition_file
    with mock.patch.object(
        CustomImage, "generate_rendition_file", autospec=True, side_effect=wagtail
    ) as wagtail_path:
        made = rendition_sets.make_rendition_set(image, specs)
    assert sorted(call.args[1].spec for call in wagtail_path.call_args_list) == sorted(unusual)
    assert set(made) == set(specs)
    assert set(image.renditions.values_list("filter_spec", flat=True)) == set(specs)


def test_a_rendition_made_meanwhile_wins_and_no_file_is_left(no_upload_task):
    """A page request makes one rendition of the set while the task is encoding: its row
    stays, the task's file for it is deleted, the rest of the set is stored."""
    image = new_image(JPEG)
    specs = ["format-jpeg|width-100", "format-webp|width-100"]
    generate = rendition_sets.generate

    def page_request_meanwhile(*args):
        made = generate(*args)
        get_image_model().objects.get(pk=image.pk).get_rendition("format-jpeg|width-100")
        return made

    with mock.patch.object(rendition_sets, "generate", side_effect=page_request_meanwhile):
        made = rendition_sets.make_rendition_set(image, specs)
    on_demand = Rendition.objects.get(image=image, filter_spec="format-jpeg|width-100")
    assert made["format-jpeg|width-100"].file.name == on_demand.file.name
    assert Rendition.objects.filter(image=image).count() == 2
    assert audit_media().orphans == []


def test_encoding_threads_are_kept_and_follow_the_setting(no_upload_task, settings):
    """One pool of MEDIA_RENDITION_THREADS encoding threads per process, image after image (a
    pool per image started threads for each); a new size gets a new pool."""
    specs = ["format-avif|width-120", "format-webp|width-120", "format-jpeg|width-160"]
    used = []
    render = rendition_sets.render

    def recording(*args):
        used.append(threading.current_thread())
        return render(*args)

    settings.MEDIA_RENDITION_THREADS = 2
    with mock.patch.object(rendition_sets, "render", side_effect=recording):
        for n in range(3):
            rendition_sets.make_rendition_set(new_image(JPEG, f"p{n}.jpg"), specs)
        two = set(used)
        settings.MEDIA_RENDITION_THREADS = 1
        used.clear()
        for n in range(2):
            rendition_sets.make_rendition_set(new_image(JPEG, f"q{n}.jpg"), specs)
    assert len(two) <= 2
    assert len(set(used)) == 1 and not set(used) & two
    assert Rendition.objects.count() == 5 * len(specs)


def test_a_failed_store_leaves_no_file(no_upload_task):
    """The files are written, then the insert fails: they are deleted (and Wagtail's path,
    here stubbed, gets its turn)."""
    image = new_image(JPEG)
    spec = "format-jpeg|width-100"
    failure = DatabaseError("the database went away")
    with (
        mock.patch.object(Rendition.objects, "bulk_create", side_effect=failure),
        mock.patch.object(CustomImage, "get_renditions", return_value={spec: None}) as wagtail,
    ):
        rendition_sets.make_rendition_set(image, [spec])
    assert wagtail.called
    assert not Rendition.objects.exists()
    assert audit_media().orphans == []


@pytest.mark.parametrize("listing", ["/admin/images/", "/admin/images/chooser/"])
def test_after_an_upload_the_admin_library_makes_no_rendition(
    admin_client, django_capture_on_commit_callbacks, listing
):
    image = upload_lamp_through_admin(admin_client, django_capture_on_commit_callbacks)
    assert image.renditions.filter(filter_spec=ADMIN_THUMBNAIL).exists()
    before = Rendition.objects.count()

    with no_wagtail_path():
        response = admin_client.get(listing)
    assert response.status_code == 200
    assert f"lamp.{ADMIN_THUMBNAIL}" in response.content.decode()
    assert Rendition.objects.count() == before
