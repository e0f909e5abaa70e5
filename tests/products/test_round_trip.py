"""Export, import into an empty site, export again: the same manifest, the same bytes."""

import json
import zipfile

import pytest
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from products.catalogue.exporter import export_bundle
from products.models import ProductCategory, ProductPage
from tests.products.catalogue_helpers import MANIFEST, manifest, run_import, write_bundle

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
