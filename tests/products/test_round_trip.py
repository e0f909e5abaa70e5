"""Export, import into an empty site, export again: the same manifest, the same bytes."""

import json
import zipfile
from io import StringIO

import pytest
from django.core.management import call_command
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from cms.demo.generate import make_image
from products.catalogue.exporter import export_bundle
from products.models import ProductCategory, ProductPage
from tests.products.catalogue_helpers import (
    FILES,
    MANIFEST,
    manifest,
    run_import,
    write_bundle,
)

pytestmark = pytest.mark.django_db


def empty_the_site():
    for page in ProductPage.objects.all():
        page.delete()
    ProductCategory.objects.all().delete()
    get_image_model().objects.all().delete()
    get_document_model().objects.all().delete()


def files_of(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "catalogue.json"
    }


def test_round_trip(tmp_path, django_capture_on_commit_callbacks):
    data = manifest(live=True)
    data["products"].append(
        {
            "sku": "CH-1003",
            "title": "Draft stool",
            "live": False,
            "hero_image": {"file": "images/detail.png", "alt": "A stool"},
        }
    )
    assert run_import(write_bundle(tmp_path / "source", data))[0]
    export_bundle(tmp_path / "first")

    with django_capture_on_commit_callbacks(execute=True):
        empty_the_site()
    ok, out, err = run_import(tmp_path / "first")
    assert ok, err
    assert "Products: 3 created" in out
    export_bundle(tmp_path / "second")

    first = json.loads((tmp_path / "first" / "catalogue.json").read_text())
    second = json.loads((tmp_path / "second" / "catalogue.json").read_text())
    assert first == second
    assert [p["sku"] for p in first["products"]] == ["CH-1001", "CH-1002", "CH-1003"]
    assert first["products"][2]["live"] is False
    assert files_of(tmp_path / "first") == files_of(tmp_path / "second")
    assert len(files_of(tmp_path / "first")) == 4


def test_export_to_zip(tmp_path):
    assert run_import(write_bundle(tmp_path / "source", MANIFEST))[0]
    report = export_bundle(tmp_path / "out.zip")
    assert (report.products, report.images, report.documents) == (2, 3, 1)
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        names = archive.namelist()
        manifest_data = json.loads(archive.read("catalogue.json"))
    assert "images/ch-1001.jpg" in names and "documents/assembly.pdf" in names
    assert manifest_data["media"]["images/ch-1001.jpg"] == {
        "title": "Oak chair, front",
        "alt": "Oak chair seen from the front",
        "credit": "Photo: Studio North",
    }
    chair = manifest_data["products"][0]
    # Per-use alt and title only where they differ from the library's.
    assert chair["hero_image"] == "images/ch-1001.jpg"
    # side.webp's library alt is "Side", from its first use: the use itself needs no alt.
    assert chair["body"][3]["value"] == ["images/side.webp", "images/ch-1001.jpg"]
    assert chair["body"][2]["value"] == {
        "file": "images/detail.png",
        "caption": "Mortise and tenon",
    }
    assert chair["body"][4]["value"] == ["documents/assembly.pdf"]


def test_export_leaves_out_deleted_media_with_a_warning(tmp_path):
    """Deleting an image or document does not touch the pages (and revisions) using it: the
    export names each missing reference, leaves it out, and the bundle still imports."""
    data = manifest(live=True)
    data["products"].append(
        {
            "sku": "CH-1003",
            "title": "Draft stool",
            "live": False,  # exported from its latest revision
            "hero_image": {"file": "images/stool.png", "alt": "A stool"},
        }
    )
    files = {**FILES, "images/stool.png": make_image("Stool", 40, 40, "png")}
    assert run_import(write_bundle(tmp_path / "source", data, files))[0]
    Image, Document = get_image_model(), get_document_model()
    detail = Image.objects.get(file__endswith="detail.png").pk
    stool = Image.objects.get(file__endswith="stool.png").pk
    manual = Document.objects.get().pk
    Image.objects.filter(pk__in=[detail, stool]).delete()
    Document.objects.filter(pk=manual).delete()

    out, err = StringIO(), StringIO()
    call_command("export_catalogue", str(tmp_path / "out"), stdout=out, stderr=err)

    assert err.getvalue().splitlines() == [
        f"warning: product CH-1001, body[2].value.image: image {detail} is no longer in "
        "the library: left out of the export",
        f"warning: product CH-1001, body[4].value[0]: document {manual} is no longer in "
        "the library: left out of the export",
        f"warning: product CH-1003, hero_image: image {stool} is no longer in the "
        "library: left out of the export",
    ]
    assert "Exported 3 products, 2 images and 0 documents" in out.getvalue()
    exported = json.loads((tmp_path / "out" / "catalogue.json").read_text())
    chair, _, stool_product = exported["products"]
    assert [block["type"] for block in chair["body"]] == [
        "heading",
        "paragraph",
        "gallery",
        "specs",
    ]
    assert "hero_image" not in stool_product and stool_product["live"] is False
    ok, _, err = run_import(tmp_path / "out", "--dry-run")
    assert ok, err
