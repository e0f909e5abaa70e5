"""Credit, title and alt-text suggestions from a photo's XMP, IPTC and EXIF: read safely, and
filled in only where nobody gave a value, on admin uploads (single and multiple) and on
imports (credit only)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.images import get_image_model
from wagtail.models import Collection

from cms.media.metadata import ImageMetadata, read_metadata
from products.catalogue.exporter import export_bundle
from products.models import ProductPage
from tests.media.photo_metadata import (
    exif_block,
    iptc_segment,
    jpeg_with,
    webp_with,
    xmp_packet,
)
from tests.products.catalogue_helpers import FILES, manifest, run_import, write_bundle

ALL_THREE = jpeg_with(
    xmp=xmp_packet("Ana Lopes", "Studio North 2025", "An oak chair by a window", "Oak chair"),
    exif=exif_block("Exif Artist", "Exif Copyright", "Exif description"),
    iptc=iptc_segment("Iptc Byline", "Iptc Copyright", "Iptc caption", "Iptc headline"),
)


# Reading: XMP before IPTC before EXIF, each on its own.


def test_xmp_wins_over_iptc_and_exif():
    assert read_metadata(ALL_THREE) == ImageMetadata(
        creator="Ana Lopes",
        copyright="Studio North 2025",
        caption="An oak chair by a window",
        headline="Oak chair",
    )
    assert read_metadata(ALL_THREE).credit() == "Photo: Ana Lopes, © Studio North 2025"


def test_iptc_alone():
    data = jpeg_with(iptc=iptc_segment("Ben Ode", "© Ode Foto", "A stool", "Stool"))
    found = read_metadata(data)
    assert found == ImageMetadata("Ben Ode", "© Ode Foto", "A stool", "Stool")
    assert found.credit() == "Photo: Ben Ode, © Ode Foto"


def test_exif_alone_and_in_webp():
    found = read_metadata(jpeg_with(exif=exif_block("Cy Twain", "", "A lamp")))
    assert (found.creator, found.caption) == ("Cy Twain", "A lamp")
    assert found.credit() == "Photo: Cy Twain"
    webp = read_metadata(webp_with(xmp=xmp_packet(rights="Copyright 2024 Dee")))
    assert webp.credit() == "Photo: Copyright 2024 Dee"


def test_a_creator_named_in_the_copyright_is_not_repeated():
    found = ImageMetadata(creator="Ana Lopes", copyright="© Ana Lopes 2025")
    assert found.credit() == "Photo: © Ana Lopes 2025"


def test_text_is_cleaned_and_cut_to_the_field():
    found = read_metadata(jpeg_with(iptc=iptc_segment("Ana\x00\x1b[31m\n  Lopes", "x" * 400)))
    assert found.creator == "Ana [31m Lopes"
    assert len(found.copyright) == 255


def test_a_photo_without_metadata_suggests_nothing():
    assert read_metadata(jpeg_with()) == ImageMetadata()
    assert ImageMetadata().credit() == ""


# Hostile files: nothing read, nothing raised, the upload goes on.

BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&c;</x:xmpmeta>'
)
HOSTILE = {
    "xml entity bomb": jpeg_with(xmp=BOMB, exif=exif_block("Safe Artist")),
    "xml external entity": jpeg_with(
        xmp=b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    ),
    "deep xml": jpeg_with(xmp=b"<a>" * 5000 + b"</a>" * 5000),
    "broken xml": jpeg_with(xmp=b"<x:xmpmeta><unclosed"),
    "truncated iptc": jpeg_with(iptc=iptc_segment(raw=b"\x1c\x02\x50\xff\xffAna")),
    "iptc in no encoding": jpeg_with(
        iptc=iptc_segment(raw=b"\x1c\x02\x50\x00\x04\xff\xfe\xfd\xfc")
    ),
    "iptc garbage": jpeg_with(iptc=iptc_segment(raw=b"\x00\x01" * 50)),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_metadata_gives_at_most_clean_text_and_never_raises(name):
    found = read_metadata(HOSTILE[name], name)
    for value in vars(found).values():
        assert value.isprintable() and len(value) <= 255
    if name == "xml entity bomb":  # the XMP is refused; the EXIF beside it still counts
        assert found.creator == "Safe Artist"


def test_a_file_that_is_no_image_suggests_nothing():
    assert read_metadata(b"not an image at all") == ImageMetadata()


# Admin uploads.


def root():
    return Collection.get_first_root_node()


def upload(admin_client, content, name="oak-chair.jpg", **fields):
    data = {"title": "oak-chair", "collection": root().pk, "description": "", "credit": ""}
    data.update(fields)
    response = admin_client.post(
        "/admin/images/add/", {**data, "file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 302, response.content[:3000]
    return get_image_model().objects.get()


@pytest.mark.django_db
def test_single_upload_fills_credit_title_and_alt_text(admin_client):
    image = upload(admin_client, ALL_THREE)
    assert image.credit == "Photo: Ana Lopes, © Studio North 2025"
    assert image.title == "Oak chair"
    assert image.description == "An oak chair by a window"


@pytest.mark.django_db
def test_single_upload_keeps_what_the_editor_typed(admin_client):
    image = upload(
        admin_client,
        ALL_THREE,
        title="Chair for the spring catalogue",
        description="A chair",
        credit="Photo: our studio",
    )
    assert (image.title, image.description, image.credit) == (
        "Chair for the spring catalogue",
        "A chair",
        "Photo: our studio",
    )


@pytest.mark.django_db
def test_single_upload_fills_only_the_empty_fields(admin_client):
    image = upload(admin_client, ALL_THREE, title="oak-chair.jpg", description="Typed alt")
    assert image.title == "Oak chair"  # the file's name, with its extension: a default
    assert image.description == "Typed alt"
    assert image.credit == "Photo: Ana Lopes, © Studio North 2025"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["xml entity bomb", "deep xml", "truncated iptc"])
def test_hostile_metadata_does_not_break_the_upload(admin_client, name):
    image = upload(admin_client, HOSTILE[name])
    assert image.title == "oak-chair" and image.file_hash


@pytest.mark.django_db
def test_multiple_upload_creates_the_image_with_suggestions_its_edit_form_shows(admin_client):
    response = admin_client.post(
        "/admin/images/multiple/add/",
        {"files[]": SimpleUploadedFile("oak-chair.jpg", ALL_THREE), "collection": root().pk},
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    data = json.loads(response.content)
    assert data["success"], data
    image = get_image_model().objects.get()
    assert image.title == "Oak chair"
    assert image.credit == "Photo: Ana Lopes, © Studio North 2025"
    assert image.description == "An oak chair by a window"
    assert 'value="Photo: Ana Lopes, © Studio North 2025"' in data["form"]

    # The editor's edit form then saves what they leave or change, with no new suggestion.
    prefix = f"image-{image.pk}-"
    response = admin_client.post(
        f"/admin/images/multiple/{image.pk}/",
        {
            f"{prefix}title": "Chair",
            f"{prefix}collection": root().pk,
            f"{prefix}description": "A chair",
            f"{prefix}credit": "",
        },
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    assert json.loads(response.content)["success"]
    image.refresh_from_db()
    assert (image.title, image.description, image.credit) == ("Chair", "A chair", "")


# Imports: only the credit, only for images new to the library, only when the manifest
# gives none; the export writes every credit (empty too), so its import gives the same.


def bundle_with_photo(tmp_path, media_entry):
    data = manifest(live=True)
    data["products"][0]["hero_image"] = {"file": "images/photo.jpg", "alt": "Oak chair"}
    if media_entry is not None:
        data["media"]["images/photo.jpg"] = media_entry
    return write_bundle(tmp_path / "bundle", data, {**FILES, "images/photo.jpg": ALL_THREE})


@pytest.mark.django_db
def test_import_fills_a_credit_the_manifest_does_not_give(tmp_path):
    ok, _, err = run_import(bundle_with_photo(tmp_path, None))
    assert ok, err
    image = get_image_model().objects.get(file__contains="photo")
    assert image.credit == "Photo: Ana Lopes, © Studio North 2025"
    # Title and alt text follow the format's rules, not the metadata.
    assert (image.title, image.description) == ("photo", "Oak chair")


@pytest.mark.django_db
@pytest.mark.parametrize("credit", ["Photo: given", ""])
def test_import_keeps_the_manifests_credit_even_empty(tmp_path, credit):
    ok, _, err = run_import(bundle_with_photo(tmp_path, {"credit": credit}))
    assert ok, err
    assert get_image_model().objects.get(file__contains="photo").credit == credit


@pytest.mark.django_db
def test_export_writes_an_empty_credit_so_its_import_gives_the_same(
    tmp_path, django_capture_on_commit_callbacks
):
    assert run_import(bundle_with_photo(tmp_path, {"credit": ""}))[0]
    export_bundle(tmp_path / "first")
    first = json.loads((tmp_path / "first" / "catalogue.json").read_text())
    assert first["media"]["images/photo.jpg"]["credit"] == ""

    with django_capture_on_commit_callbacks(execute=True):
        for page in ProductPage.objects.all():
            page.delete()
        get_image_model().objects.all().delete()
    assert run_import(tmp_path / "first")[0]
    assert get_image_model().objects.get(file__contains="photo").credit == ""
    export_bundle(tmp_path / "second")
    assert json.loads((tmp_path / "second" / "catalogue.json").read_text()) == first


@pytest.mark.django_db
def test_export_leaves_out_an_empty_credit_the_file_would_not_fill(tmp_path):
    """Format section 5: optional fields with no value are left out; an empty credit is
    written only where the file's metadata would otherwise fill it."""
    assert run_import(bundle_with_photo(tmp_path, {"credit": ""}))[0]
    export_bundle(tmp_path / "out")
    media = json.loads((tmp_path / "out" / "catalogue.json").read_text())["media"]
    assert media["images/photo.jpg"]["credit"] == ""  # its file names a creator
    assert {"title": "detail", "alt": "Joint detail"} in media.values()  # no credit key
