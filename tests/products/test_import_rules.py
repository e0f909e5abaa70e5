"""The bundle format's rules (../shared/catalogue-format.md), one test each, through the
import_catalogue command."""

import json
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.db import DatabaseError
from wagtail.images import get_image_model
from wagtail.models import Revision

from cms.demo.generate import make_image
from cms.media.renditions import ahead_of_time_specs
from products.catalogue import writer
from products.catalogue.importer import import_bundle
from products.models import ProductCategory, ProductIndexPage, ProductPage
from tests.factories import ImageFactory, ProductIndexPageFactory
from tests.media.corpus import JPEG, png_pixel_bomb
from tests.products.catalogue_helpers import (
    CHAIR,
    FILES,
    MANIFEST,
    manifest,
    run_import,
    site_state,
    write_bundle,
    zip_folder,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def bundle(tmp_path):
    return write_bundle(tmp_path / "bundle", MANIFEST)


def test_import_creates_the_catalogue(bundle, client):
    ok, out, err = run_import(bundle)
    assert ok, err
    assert "Products: 2 created, 0 updated, 0 unchanged." in out
    assert "Images: 3 created, 0 reused. Documents: 1 created, 0 reused." in out

    chair = ProductPage.objects.get(sku="CH-1001")
    assert chair.live and chair.get_parent().specific.title == "Products"  # created index
    assert chair.price == 129 and set(chair.tags.names()) == {"oak", "dining"}
    assert chair.category == ProductPage.objects.get(sku="CH-1002").category  # "chairs "
    assert ProductCategory.objects.get().name == "Chairs"
    assert [p.product.sku for p in chair.related_products.all()] == ["CH-1002"]
    assert [b.block_type for b in chair.body] == [
        "heading",
        "paragraph",
        "image",
        "gallery",
        "documents",
        "specs",
    ]
    # Library details from the media entries; file names from the paths.
    hero = chair.hero_image
    assert (hero.title, hero.description, hero.credit) == (
        "Oak chair, front",
        "Oak chair seen from the front",
        "Photo: Studio North",
    )
    assert hero.file.name == "original_images/ch-1001.jpg"
    detail = chair.body[2].value["image"]
    assert detail.title == "detail" and detail.description == "Joint detail"
    # The page is public and its images load.
    html = client.get(chair.url).content.decode()
    assert 'alt="Joint detail"' in html and "Mortise and tenon" in html


def test_every_rendition_exists_after_an_import(bundle):
    run_import(bundle)
    Rendition = get_image_model().get_rendition_model()
    for image in get_image_model().objects.all():
        specs = set(Rendition.objects.filter(image=image).values_list("filter_spec", flat=True))
        assert specs == set(ahead_of_time_specs()), image.title


def test_reimport_creates_nothing(bundle):
    run_import(bundle)
    before = site_state()
    ok, out, _ = run_import(bundle)
    assert ok
    assert "Products: 0 created, 0 updated, 2 unchanged." in out
    assert "Images: 0 created, 3 reused. Documents: 0 created, 1 reused." in out
    assert site_state() == before


def test_zip_bundle_with_a_top_level_folder(bundle, tmp_path):
    archive = zip_folder(bundle, tmp_path / "b.zip", prefix="export-2026/")
    ok, out, err = run_import(archive)
    assert ok, err
    assert ProductPage.objects.count() == 2


def test_dry_run_reports_and_writes_nothing(bundle):
    before = site_state()
    ok, out, _ = run_import(bundle, "--dry-run")
    assert ok and "Dry run, nothing written. Products: 2 created" in out
    assert site_state() == before


def test_report_file_is_written_on_failure_too(tmp_path):
    folder = write_bundle(tmp_path / "b", manifest(price=129))
    ok, _, _ = run_import(folder, "--report", str(tmp_path / "report.json"))
    report = json.loads((tmp_path / "report.json").read_text())
    assert not ok and report["ok"] is False and report["format"] == "catalogue-report/1"
    assert report["errors"][0]["where"] == "products[0].price"


# Bad bundles: a located error, a non-zero exit, nothing written.


def symlink_out(folder):
    outside = folder.parent / "secret.jpg"
    outside.write_bytes(JPEG)
    (folder / "images" / "ch-1001.jpg").unlink()
    (folder / "images" / "ch-1001.jpg").symlink_to(outside)


BAD = [
    (
        "missing file",
        manifest(hero_image={"file": "images/nope.jpg", "alt": "x"}),
        None,
        "products[0].hero_image.file",
        "images/nope.jpg: no such file in the bundle",
    ),
    (
        "absolute path",
        manifest(hero_image={"file": "/etc/passwd", "alt": "x"}),
        None,
        "products[0].hero_image.file",
        "absolute path leaves the bundle",
    ),
    (
        "dot-dot path",
        manifest(hero_image={"file": "../secret.jpg", "alt": "x"}),
        None,
        "products[0].hero_image.file",
        "“..” segment leaves the bundle",
    ),
    (
        "symlink out",
        MANIFEST,
        symlink_out,
        "products[0].hero_image.file",
        "images/ch-1001.jpg: a symlink that leaves the bundle",
    ),
    (
        "truncated image",
        MANIFEST,
        {"images/detail.png": FILES["images/detail.png"][:60]},
        "products[0].body[2].value.file",
        "images/detail.png: not a valid image",
    ),
    (
        "html as image",
        MANIFEST,
        {"images/detail.png": b"<html><script>x</script></html>"},
        "products[0].body[2].value.file",
        "images/detail.png: the file contains markup",
    ),
    (
        "wrong format",
        MANIFEST,
        {"images/detail.png": JPEG},
        "products[0].body[2].value.file",
        "the file is JPEG, not the PNG its extension says",
    ),
    (
        "decompression bomb",
        MANIFEST,
        {"images/detail.png": png_pixel_bomb()},
        "products[0].body[2].value.file",
        "is more than the limit of 128,000,000 pixels",
    ),
    (
        "over the size limit",
        MANIFEST,
        {"documents/assembly.pdf": b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024)},
        "products[0].body[4].value[0].file",
        "the limit is 10.0\xa0MB",
    ),
    (
        "duplicate SKU",
        {**MANIFEST, "products": [MANIFEST["products"][0]] * 2},
        None,
        "products[1].sku",
        "SKU “CH-1001” already used by products[0]",
    ),
    (
        "missing title",
        manifest(title="   "),
        None,
        "products[0].title",
        "must be 1–255 characters long",
    ),
    (
        "unknown block type",
        manifest(body=[{"type": "video", "value": "x"}]),
        None,
        "products[0].body[0].type",
        "unknown block type 'video'",
    ),
    (
        "missing alt text",
        manifest(body=[{"type": "image", "value": "images/side.webp"}]),
        None,
        "products[0].body[0].value",
        "images/side.webp: no alt text",
    ),
    (
        "unknown related SKU",
        manifest(related=["NOPE-1"]),
        None,
        "products[0].related[0]",
        "no product with SKU “NOPE-1”",
    ),
    (
        "price as a JSON number",
        manifest(price=129.5),
        None,
        "products[0].price",
        "a JSON number loses precision",
    ),
    ("invalid price", manifest(price="12.345"), None, "products[0].price", "is not a price"),
    ("unknown field", manifest(colour="red"), None, "products[0].colour", "unknown field"),
    (
        "decorative hero",
        manifest(hero_image={"file": "images/ch-1001.jpg", "alt": ""}),
        None,
        "products[0].hero_image.alt",
        "a hero image is never decorative",
    ),
    (
        "self related",
        manifest(related=["CH-1001"]),
        None,
        "products[0].related[0]",
        "cannot be related to itself",
    ),
    (
        "media key not named",
        {**MANIFEST, "media": {"images/other.jpg": {"title": "x"}}},
        None,
        'media["images/other.jpg"]',
        "not named by any reference",
    ),
    (
        "slug clash",
        {
            **MANIFEST,
            "products": [
                manifest()["products"][0],
                {**MANIFEST["products"][1], "slug": "oak-dining-chair"},
            ],
        },
        None,
        "products[1].slug",
        "slug “oak-dining-chair” is also given to SKU “CH-1001”",
    ),
    ("bad format", {**MANIFEST, "format": "catalogue/2"}, None, "format", "catalogue/1"),
]


@pytest.mark.parametrize(
    ("case", "data", "change", "where", "message"), BAD, ids=[case[0] for case in BAD]
)
def test_bad_bundle(tmp_path, case, data, change, where, message):
    folder = write_bundle(tmp_path / "bundle", data)
    if callable(change):
        change(folder)
    elif change:
        write_bundle(folder, data, change)
    before = site_state()

    ok, _, err = run_import(folder)

    assert not ok
    assert any(
        line.startswith(f"error: {where}: ") and message in line for line in err.splitlines()
    ), err
    assert "nothing was imported" in err
    assert site_state() == before


def test_zip_entry_escaping_the_root_invalidates_the_bundle(bundle, tmp_path):
    archive = zip_folder(bundle, tmp_path / "b.zip")
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr("../evil.txt", "x")
    before = site_state()
    ok, _, err = run_import(archive)
    assert not ok
    assert "error: ../evil.txt: a zip entry that escapes the bundle root" in err
    assert site_state() == before


def test_both_manifests_is_an_error(bundle):
    (bundle / "catalogue.csv").write_text("sku,title\n")
    ok, _, err = run_import(bundle)
    assert not ok and "holds both catalogue.json and catalogue.csv" in err


def test_every_error_is_listed(tmp_path):
    data = {
        **MANIFEST,
        "products": [dict(MANIFEST["products"][0], price=1, colour="x"), {"title": "No SKU"}],
    }
    ok, _, err = run_import(write_bundle(tmp_path / "b", data))
    assert not ok
    for where in ("products[0].price", "products[0].colour", "products[1].sku"):
        assert f"error: {where}: " in err


def test_failure_midway_leaves_nothing(tmp_path, monkeypatch):
    """A database error on product 57 of 100: no row and no file survive."""
    products = [
        {
            "sku": f"P-{n:03d}",
            "title": f"Product {n}",
            "hero_image": {"file": f"images/p{n}.jpg", "alt": f"Product {n}"},
        }
        for n in range(100)
    ]
    files = {f"images/p{n}.jpg": make_image(f"P{n}", 32, 24, "jpeg") for n in range(100)}
    folder = write_bundle(tmp_path / "b", {"format": "catalogue/1", "products": products}, files)
    before = site_state()

    original = writer.Writer.new_page  # each new product's page, after every tree row exists
    calls = []

    def failing_new_page(self, product, *args):
        calls.append(product.sku)
        if len(calls) == 57:
            raise DatabaseError("disk I/O error")
        return original(self, product, *args)

    monkeypatch.setattr(writer.Writer, "new_page", failing_new_page)
    report = import_bundle(folder)
    assert not report.ok and len(calls) == 57
    assert report.errors[0].where == "import" and "disk I/O error" in report.errors[0].message
    assert site_state() == before


def test_update_matches_the_manifest_exactly(bundle, tmp_path):
    run_import(bundle)
    chair = ProductPage.objects.get(sku="CH-1001")
    revisions = chair.revisions.count()
    changed = manifest(title="Oak chair, mark II", price=None, related=[])
    del changed["products"][0]["price"], changed["products"][0]["slug"]
    ok, out, err = run_import(write_bundle(tmp_path / "v2", changed))
    assert ok, err
    assert "Products: 0 created, 1 updated, 1 unchanged." in out
    chair.refresh_from_db()
    assert chair.title == "Oak chair, mark II"
    assert chair.price is None  # left out: cleared
    assert chair.slug == "oak-dining-chair"  # left out: kept, URLs stay stable
    assert not chair.related_products.exists()
    assert chair.revisions.count() == revisions + 1


def test_live_false_unpublishes_with_one_new_revision(bundle, tmp_path, client):
    run_import(bundle)
    chair = ProductPage.objects.get(sku="CH-1001")
    url, revisions = chair.url, chair.revisions.count()
    ok, out, _ = run_import(write_bundle(tmp_path / "v2", manifest(live=False)))
    assert ok and "1 updated" in out
    chair.refresh_from_db()
    assert not chair.live and chair.revisions.count() == revisions + 1
    assert client.get(url).status_code == 404
    ok, out, _ = run_import(write_bundle(tmp_path / "v3", manifest(live=False)))
    assert "0 updated, 2 unchanged" in out


def test_same_content_under_two_paths_is_one_library_item(tmp_path):
    files = {**FILES, "images/copy-of-side.webp": FILES["images/side.webp"]}
    data = manifest(
        body=[
            {
                "type": "gallery",
                "value": [
                    {"file": "images/side.webp", "alt": "Side"},
                    {"file": "images/copy-of-side.webp", "alt": "Also the side"},
                ],
            }
        ]
    )
    ok, out, err = run_import(write_bundle(tmp_path / "b", data, files))
    assert ok, err
    gallery = ProductPage.objects.get(sku="CH-1001").body[0].value
    assert gallery[0].pk == gallery[1].pk
    assert [i.contextual_alt_text for i in gallery] == ["Side", "Also the side"]
    assert get_image_model().objects.filter(file_hash=gallery[0].file_hash).count() == 1


def test_existing_library_image_keeps_its_details(tmp_path):
    ImageFactory(
        title="Library title", description="Library alt", file=ContentFile(CHAIR, name="x.jpg")
    )
    data = manifest(hero_image="images/ch-1001.jpg")
    ok, out, err = run_import(write_bundle(tmp_path / "b", data))
    assert ok, err
    assert "Images: 2 created, 1 reused." in out
    hero = ProductPage.objects.get(sku="CH-1001").hero_image
    assert (hero.title, hero.description) == ("Library title", "Library alt")


def test_paragraph_html_is_cleaned(tmp_path):
    html = '<p onclick="steal()">Hi <script>alert(1)</script><b>there</b></p>'
    data = manifest(body=[{"type": "paragraph", "value": html}])
    data["products"][1]["hero_image"] = {"file": "images/side.webp", "alt": "Walnut chair"}
    ok, _, err = run_import(write_bundle(tmp_path / "b", data))
    assert ok, err
    stored = ProductPage.objects.get(sku="CH-1001").body[0].value.source
    assert "script" not in stored and "onclick" not in stored and "<b>there</b>" in stored


def test_slug_is_derived_and_made_unique(tmp_path):
    data = {
        "format": "catalogue/1",
        "products": [
            {"sku": "A-1", "title": "Oak chair"},
            {"sku": "A-2", "title": "Oak chair"},
            {"sku": "Z.9_x", "title": "🪑🪑"},
        ],
    }
    ok, _, err = run_import(write_bundle(tmp_path / "b", data, {}))
    assert ok, err
    slugs = dict(ProductPage.objects.values_list("sku", "slug"))
    assert slugs == {"A-1": "oak-chair", "A-2": "oak-chair-2", "Z.9_x": "z-9_x"}


def test_unused_files_are_warnings(bundle):
    (bundle / "images" / "unused.jpg").write_bytes(JPEG)
    ok, _, err = run_import(bundle)
    assert ok
    assert "warning: images/unused.jpg: not named by the manifest" in err


def test_csv_manifest(tmp_path, client):
    csv = (
        "\ufeffsku,title,category,price,tags,hero_image,hero_alt,gallery,documents,live\n"
        'CH-1,"Chair, oak",Chairs,129.00,oak|dining,images/ch-1001.jpg,Front view,'
        "images/side.webp::Side|images/detail.png::,documents/assembly.pdf::Manual,\n"
        'CH-2,"Two\nlines",,,,,,,,false\n'
    )
    ok, out, err = run_import(write_bundle(tmp_path / "b", csv, name="catalogue.csv"))
    assert ok, err
    one = ProductPage.objects.get(sku="CH-1")
    # The hero's alt is the first alt given for that file: it becomes the library alt.
    assert one.title == "Chair, oak" and one.hero_image.description == "Front view"
    gallery, documents = one.body[0].value, one.body[1].value
    assert gallery[0].contextual_alt_text == "Side" and gallery[1].decorative
    # A new document takes its library title from the first reference that gives one.
    assert documents[0]["document"].title == "Manual" and documents[0].display_title() == "Manual"
    two = ProductPage.objects.get(sku="CH-2")
    assert two.title == "Two\nlines" and not two.live


@pytest.mark.parametrize(
    ("csv", "where", "message"),
    [
        ("sku,title,colour\nA,B,red\n", "catalogue.csv row 1", "unknown column “colour”"),
        ("sku,title,title\nA,B,C\n", "catalogue.csv row 1", "appears more than once"),
        (
            'sku,title,price\nA,"multi\nline",1\nB,C,1.234\n',
            "catalogue.csv row 3, column price",
            "is not a price",
        ),
        (
            "sku,title,gallery\nA,B,images/side.webp\n",
            "catalogue.csv row 2, column gallery",
            "no alt text",
        ),
    ],
)
def test_csv_errors_name_row_and_column(tmp_path, csv, where, message):
    before = site_state()
    ok, _, err = run_import(write_bundle(tmp_path / "b", csv, name="catalogue.csv"))
    assert not ok
    assert any(
        line.startswith(f"error: {where}: ") and message in line for line in err.splitlines()
    ), err
    assert site_state() == before


def test_parent_by_id_or_url_path(bundle, home):
    first = ProductIndexPageFactory(parent=home, title="Shop", slug="shop")
    second = ProductIndexPageFactory(parent=home, title="Outlet", slug="outlet")
    ok, _, err = run_import(bundle)
    assert not ok and "--parent: the site has several catalogue pages" in err
    assert run_import(bundle, "--parent", "/outlet/")[0]
    assert ProductPage.objects.child_of(second).count() == 2
    assert not ProductPage.objects.child_of(first).exists()
    ok, _, err = run_import(bundle, "--parent", "99999")
    assert not ok and "--parent: 99999: no product catalogue page" in err
    assert ProductIndexPage.objects.count() == 2


def test_import_writes_revisions_only_for_changes(bundle):
    run_import(bundle)
    count = Revision.objects.count()
    assert run_import(bundle)[0]
    assert Revision.objects.count() == count
