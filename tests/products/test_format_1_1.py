"""Catalogue format 1.1 (../shared/catalogue-format.md, section 6): per-use focal points and
the library image's focal point, licence, source and expiry, through the import and export
commands."""

import copy
import io
import json
from datetime import date

import pytest
from PIL import ExifTags
from PIL import Image as PILImage
from wagtail.images import get_image_model

from cms.demo.generate import make_image
from products.catalogue.exporter import export_bundle
from products.models import ProductPage
from tests.products.catalogue_helpers import (
    MANIFEST,
    run_import,
    site_state,
    write_bundle,
)
from tests.products.test_round_trip import empty_the_site, files_of

pytestmark = pytest.mark.django_db

HERO_CROP = {"x": 4, "y": 6, "width": 20, "height": 30}  # images/ch-1001.jpg is 64x48
GALLERY_CROP = {"x": 30, "y": 0, "width": 30, "height": 40}  # images/side.webp is 60x40
BODY_CROP = {"x": 0, "y": 10, "width": 48, "height": 20}  # images/detail.png is 48x64
LIBRARY_CROP = {"x": 10, "y": 10, "width": 40, "height": 20}


def manifest_1_1():
    data = copy.deepcopy(MANIFEST)
    data["format"] = "catalogue/1.1"
    data = copy.deepcopy(data)  # the cases below change it in place
    product = data["products"][0]
    product["hero_image"]["focal_point"] = HERO_CROP
    product["body"][2]["value"]["focal_point"] = BODY_CROP
    product["body"][3]["value"][0]["focal_point"] = GALLERY_CROP
    data["media"]["images/ch-1001.jpg"].update(
        focal_point=LIBRARY_CROP,
        licence="CC BY 4.0",
        source="https://photos.example.com/ch-1001",
        expires="2027-06-30",
    )
    return copy.deepcopy(data)


def body_uses(page):
    """The stored image uses of the page's body, in order (block ids left out)."""
    uses = []
    for block in page.body.get_prep_value():
        if block["type"] == "image":
            uses.append(block["value"]["image"])
        elif block["type"] == "gallery":
            uses.extend(item["value"] for item in block["value"])
    return uses


def test_import_stores_per_use_and_library_details(tmp_path):
    ok, out, err = run_import(write_bundle(tmp_path / "b", manifest_1_1()))
    assert ok, err

    page = ProductPage.objects.get(sku="CH-1001")
    assert page.hero_focal_point == HERO_CROP
    body, gallery_side, gallery_chair = body_uses(page)
    assert body["focal_point"] == BODY_CROP
    assert gallery_side["focal_point"] == GALLERY_CROP
    assert "focal_point" not in gallery_chair  # this use follows the library image
    assert ProductPage.objects.get(sku="CH-1002").hero_focal_point is None

    chair = get_image_model().objects.get(title="Oak chair, front")
    # Wagtail's fields hold the centre of the rectangle.
    assert (
        chair.focal_point_x,
        chair.focal_point_y,
        chair.focal_point_width,
        chair.focal_point_height,
    ) == (30, 20, 40, 20)
    assert chair.licence == "CC BY 4.0"
    assert chair.source == "https://photos.example.com/ch-1001"
    assert chair.expires == date(2027, 6, 30)

    # The same bundle again changes nothing.
    ok, out, err = run_import(tmp_path / "b")
    assert ok, err
    assert "Products: 0 created, 0 updated, 2 unchanged" in out


def test_library_details_apply_only_to_new_images(tmp_path):
    Image = get_image_model()
    data = manifest_1_1()
    data["products"][0]["hero_image"].pop("focal_point")
    data["media"]["images/ch-1001.jpg"] = {"title": "Oak chair, front", "alt": "Oak chair"}
    assert run_import(write_bundle(tmp_path / "first", data))[0]

    assert run_import(write_bundle(tmp_path / "second", manifest_1_1()))[0]
    chair = Image.objects.get(title="Oak chair, front")
    assert chair.focal_point_x is None
    assert chair.licence == chair.source == ""
    assert chair.expires is None
    # A use's own focal point is no library detail: it is the page's.
    assert ProductPage.objects.get(sku="CH-1001").hero_focal_point == HERO_CROP


def with_v1_fields(change):
    data = manifest_1_1()
    data["format"] = "catalogue/1"
    change(data)
    return data


def only_hero(data):
    product = data["products"][0]
    product["body"][2]["value"].pop("focal_point")
    product["body"][3]["value"][0].pop("focal_point")
    data["media"]["images/ch-1001.jpg"] = {"title": "Oak chair, front"}


def only_gallery(data):
    product = data["products"][0]
    product["hero_image"].pop("focal_point")
    product["body"][2]["value"].pop("focal_point")
    data["media"]["images/ch-1001.jpg"] = {"title": "Oak chair, front"}


def only_media(key):
    def change(data):
        product = data["products"][0]
        product["hero_image"].pop("focal_point")
        product["body"][2]["value"].pop("focal_point")
        product["body"][3]["value"][0].pop("focal_point")
        entry = data["media"]["images/ch-1001.jpg"]
        for other in ("focal_point", "licence", "source", "expires"):
            if other != key:
                entry.pop(other)

    return change


def bad(change):
    data = manifest_1_1()
    change(data)
    return data


def set_in(path, value):
    """A change setting `value` at `path` (keys and indexes) of the manifest."""

    def change(data):
        target = data
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


MEDIA = 'media["images/ch-1001.jpg"]'
BAD = [
    (
        "hero focal point in a 1 manifest",
        with_v1_fields(only_hero),
        "products[0].hero_image.focal_point",
        "unknown field “focal_point” (a catalogue/1.1 field",
    ),
    (
        "gallery focal point in a 1 manifest",
        with_v1_fields(only_gallery),
        "products[0].body[3].value[0].focal_point",
        "unknown field “focal_point”",
    ),
    *[
        (
            f"media {key} in a 1 manifest",
            with_v1_fields(only_media(key)),
            f"{MEDIA}.{key}",
            f"unknown field “{key}” (a catalogue/1.1 field",
        )
        for key in ("focal_point", "licence", "source", "expires")
    ],
    (
        "hero rectangle outside the image",
        bad(set_in(["products", 0, "hero_image", "focal_point", "x"], 50)),
        "products[0].hero_image.focal_point",
        "images/ch-1001.jpg: the focal point 50,6 20x30 lies outside the image (64x48 pixels)",
    ),
    (
        "gallery rectangle outside the image",
        bad(set_in(["products", 0, "body", 3, "value", 0, "focal_point", "height"], 41)),
        "products[0].body[3].value[0].focal_point",
        "lies outside the image (60x40 pixels)",
    ),
    (
        "body image rectangle outside the image",
        bad(set_in(["products", 0, "body", 2, "value", "focal_point", "y"], 45)),
        "products[0].body[2].value.focal_point",
        "lies outside the image (48x64 pixels)",
    ),
    (
        "library rectangle outside the image",
        bad(set_in(["media", "images/ch-1001.jpg", "focal_point", "width"], 60)),
        f"{MEDIA}.focal_point",
        "lies outside the image (64x48 pixels)",
    ),
    (
        "zero width",
        bad(set_in(["products", 0, "hero_image", "focal_point", "width"], 0)),
        "products[0].hero_image.focal_point.width",
        "0 is not an integer of at least 1",
    ),
    (
        "negative x",
        bad(set_in(["products", 0, "hero_image", "focal_point", "x"], -1)),
        "products[0].hero_image.focal_point.x",
        "is not an integer of at least 0",
    ),
    (
        "a float",
        bad(set_in(["products", 0, "hero_image", "focal_point", "y"], 1.5)),
        "products[0].hero_image.focal_point.y",
        "1.5 is not an integer of at least 0",
    ),
    (
        "a missing height",
        bad(set_in(["products", 0, "hero_image", "focal_point"], {"x": 1, "y": 1, "width": 1})),
        "products[0].hero_image.focal_point.height",
        "required: the focal point's height",
    ),
    (
        "an unknown focal point key",
        bad(set_in(["products", 0, "hero_image", "focal_point", "z"], 1)),
        "products[0].hero_image.focal_point.z",
        "unknown field “z”",
    ),
    (
        "not an object",
        bad(set_in(["products", 0, "hero_image", "focal_point"], [1, 2, 3, 4])),
        "products[0].hero_image.focal_point",
        "a focal point is an object",
    ),
    (
        "a source that is no http URL",
        bad(set_in(["media", "images/ch-1001.jpg", "source"], "ftp://example.com/a.jpg")),
        f"{MEDIA}.source",
        "is not an http(s) URL",
    ),
    (
        "a source over 500 characters",
        bad(set_in(["media", "images/ch-1001.jpg", "source"], "https://a.example/" + "x" * 490)),
        f"{MEDIA}.source",
        "must be 0–500 characters long",
    ),
    (
        "a licence over 255 characters",
        bad(set_in(["media", "images/ch-1001.jpg", "licence"], "x" * 256)),
        f"{MEDIA}.licence",
        "must be 0–255 characters long",
    ),
    (
        "an expiry that is no date",
        bad(set_in(["media", "images/ch-1001.jpg", "expires"], "30/06/2027")),
        f"{MEDIA}.expires",
        "is not a date as YYYY-MM-DD",
    ),
    (
        "an expiry on a day that does not exist",
        bad(set_in(["media", "images/ch-1001.jpg", "expires"], "2027-02-30")),
        f"{MEDIA}.expires",
        "is not a date that exists",
    ),
    (
        "a document with a licence",
        bad(set_in(["media", "documents/assembly.pdf", "licence"], "CC0")),
        'media["documents/assembly.pdf"].licence',
        "a document's details hold only a title",
    ),
    (
        "an unknown format",
        bad(set_in(["format"], "catalogue/1.2")),
        "format",
        "must be the string “catalogue/1” or “catalogue/1.1”",
    ),
]


@pytest.mark.parametrize(("case", "data", "where", "message"), BAD, ids=[c[0] for c in BAD])
def test_bad_1_1_bundle(tmp_path, case, data, where, message):
    folder = write_bundle(tmp_path / "bundle", data)
    before = site_state()

    ok, _, err = run_import(folder)

    assert not ok
    assert any(
        line.startswith(f"error: {where}: ") and message in line for line in err.splitlines()
    ), err
    assert site_state() == before


def test_the_same_rectangle_inside_is_accepted_at_the_edges(tmp_path):
    data = manifest_1_1()
    data["products"][0]["hero_image"]["focal_point"] = {"x": 0, "y": 0, "width": 64, "height": 48}
    ok, _, err = run_import(write_bundle(tmp_path / "b", data))
    assert ok, err


def export_manifest(folder):
    export_bundle(folder)
    return json.loads((folder / "catalogue.json").read_text())


def test_export_writes_version_1_when_nothing_uses_1_1(tmp_path):
    assert run_import(write_bundle(tmp_path / "b", MANIFEST))[0]
    exported = export_manifest(tmp_path / "out")
    assert exported["format"] == "catalogue/1"
    assert "focal_point" not in json.dumps(exported)


def test_export_writes_version_1_1_with_per_use_focal_points_that_differ(tmp_path):
    data = manifest_1_1()
    # The body image's crop equals its library image's own: the export leaves it out.
    data["media"]["images/detail.png"] = {"focal_point": BODY_CROP}
    assert run_import(write_bundle(tmp_path / "b", data))[0]

    exported = export_manifest(tmp_path / "out")

    assert exported["format"] == "catalogue/1.1"
    product = exported["products"][0]
    assert product["hero_image"]["focal_point"] == HERO_CROP
    assert product["body"][2]["value"] == {
        "file": "images/detail.png",
        "caption": "Mortise and tenon",
    }
    assert product["body"][3]["value"][0]["focal_point"] == GALLERY_CROP
    assert exported["media"]["images/detail.png"]["focal_point"] == BODY_CROP
    chair = exported["media"]["images/ch-1001.jpg"]
    assert chair["focal_point"] == LIBRARY_CROP
    assert chair["licence"] == "CC BY 4.0"
    assert chair["source"] == "https://photos.example.com/ch-1001"
    assert chair["expires"] == "2027-06-30"


def test_export_writes_version_1_1_for_library_rights_alone(tmp_path):
    assert run_import(write_bundle(tmp_path / "b", MANIFEST))[0]
    get_image_model().objects.filter(title="Oak chair, front").update(licence="CC0")
    exported = export_manifest(tmp_path / "out")
    assert exported["format"] == "catalogue/1.1"
    assert exported["media"]["images/ch-1001.jpg"]["licence"] == "CC0"


def test_round_trip_1_1(tmp_path, django_capture_on_commit_callbacks):
    assert run_import(write_bundle(tmp_path / "source", manifest_1_1()))[0]
    first = export_manifest(tmp_path / "first")

    with django_capture_on_commit_callbacks(execute=True):
        empty_the_site()
    ok, out, err = run_import(tmp_path / "first")
    assert ok, err
    second = export_manifest(tmp_path / "second")

    assert first["format"] == "catalogue/1.1"
    assert first == second
    assert files_of(tmp_path / "first") == files_of(tmp_path / "second")


def test_odd_sized_rectangles_come_back_the_same(tmp_path):
    data = manifest_1_1()
    odd = {"x": 3, "y": 5, "width": 21, "height": 17}
    data["media"]["images/ch-1001.jpg"]["focal_point"] = odd
    data["products"][0]["hero_image"]["focal_point"] = {"x": 1, "y": 2, "width": 7, "height": 9}
    assert run_import(write_bundle(tmp_path / "b", data))[0]
    exported = export_manifest(tmp_path / "out")
    assert exported["media"]["images/ch-1001.jpg"]["focal_point"] == odd
    assert exported["products"][0]["hero_image"]["focal_point"] == {
        "x": 1,
        "y": 2,
        "width": 7,
        "height": 9,
    }


def test_dry_run_checks_1_1_and_writes_nothing(tmp_path):
    data = bad(set_in(["products", 0, "hero_image", "focal_point", "x"], 50))
    before = site_state()
    ok, _, err = run_import(write_bundle(tmp_path / "b", data), "--dry-run")
    assert not ok
    assert "error: products[0].hero_image.focal_point: " in err
    assert site_state() == before


def turned_jpeg(width, height):
    """A JPEG stored `width` x `height` whose EXIF orientation turns it a quarter."""
    picture = PILImage.open(io.BytesIO(make_image("Turned", width, height, "jpeg")))
    exif = PILImage.Exif()
    exif[ExifTags.Base.Orientation] = 6
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


@pytest.mark.parametrize(("y", "ok"), [(40, True), (41, False)])
def test_a_turned_image_is_checked_upright(tmp_path, y, ok):
    # An EXIF-rotated JPEG is shown (and cropped) upright: 48 wide, 64 high.
    files = {"images/turned.jpg": turned_jpeg(64, 48)}
    data = {
        "format": "catalogue/1.1",
        "products": [
            {
                "sku": "T-1",
                "title": "Turned",
                "hero_image": {
                    "file": "images/turned.jpg",
                    "alt": "Turned",
                    "focal_point": {"x": 0, "y": y, "width": 48, "height": 24},
                },
            }
        ],
    }
    assert run_import(write_bundle(tmp_path / "b", data, files))[0] is ok


def test_imported_crops_are_rendered_before_the_first_visitor(
    tmp_path, client, django_capture_on_commit_callbacks
):
    Rendition = get_image_model().get_rendition_model()
    with django_capture_on_commit_callbacks(execute=True):
        ok, _, err = run_import(write_bundle(tmp_path / "b", manifest_1_1()))
    assert ok, err
    page = ProductPage.objects.get(sku="CH-1001")
    before = Rendition.objects.count()
    assert client.get(page.url).status_code == 200
    assert Rendition.objects.count() == before


def test_an_admin_focal_point_at_the_edge_exports_inside_the_image(tmp_path):
    assert run_import(write_bundle(tmp_path / "b", MANIFEST))[0]
    chair = get_image_model().objects.get(title="Oak chair, front")  # 64x48
    # As Wagtail's focal point chooser may store a 21 px wide area at the right edge.
    chair.focal_point_x, chair.focal_point_y = 54, 40
    chair.focal_point_width, chair.focal_point_height = 21, 17
    chair.save()
    exported = export_manifest(tmp_path / "out")
    rect = exported["media"]["images/ch-1001.jpg"]["focal_point"]
    assert rect == {"x": 43, "y": 31, "width": 21, "height": 17}
    ok, _, err = run_import(tmp_path / "out")  # a valid bundle
    assert ok, err
