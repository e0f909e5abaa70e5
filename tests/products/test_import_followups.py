"""Follow-ups of issue #11 on the catalogue import: what the token's user may create besides
pages (categories, media in the import collection), the work one manifest may cause (slugs of
products sharing a title, the number of products), a folder manifest that is a symlink, and
the uploaded file's name as the place of errors about the whole zip."""

import io
import json
import sys
import tempfile
import zipfile

import pytest
from django.contrib.auth.models import Group, Permission
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission

from products.catalogue import planner
from products.models import ProductCategory, ProductPage
from tests.factories import ProductPageFactory
from tests.products.catalogue_helpers import (
    FILES,
    manifest,
    run_import,
    site_state,
    write_bundle,
)
from tests.products.test_import_http import token_for
from tests.products.test_import_permissions import bundle_zip

pytestmark = pytest.mark.django_db
URL = "/api/catalogue/import/"


def post(client, path, token, name=None):
    """POST the file at `path` as the bundle, under the file name `name` (its own by default)."""
    upload = io.BytesIO(path.read_bytes())
    upload.name = name or path.name
    return client.post(URL, {"bundle": upload}, headers={"Authorization": f"Bearer {token}"})


# 1. Categories: creating one needs the snippet's add permission


def integrator(django_user_model, page, collection=None, categories=True, name="media-team"):
    """A user who may add, edit and publish pages under `page`, add images and documents in
    `collection` (the root by default) and its descendants only, and add categories when
    `categories` says so."""
    collection = collection or Collection.get_first_root_node()
    group = Group.objects.create(name=f"Media in {collection.name}")
    for codename in ("add_page", "change_page", "publish_page"):
        GroupPagePermission.objects.create(
            group=group, page=page, permission=Permission.objects.get(codename=codename)
        )
    if categories:
        group.permissions.add(Permission.objects.get(codename="add_productcategory"))
    for app, codename in (("wagtailimages", "add_image"), ("wagtaildocs", "add_document")):
        GroupCollectionPermission.objects.create(
            group=group,
            collection=collection,
            permission=Permission.objects.get(content_type__app_label=app, codename=codename),
        )
    user = django_user_model.objects.create_user(name, password="x")
    user.groups.add(group)
    return user


def test_a_new_category_needs_the_right_to_add_categories(
    client, tmp_path, catalogue, django_user_model
):
    user = integrator(django_user_model, catalogue, categories=False, name="products-team")
    data = manifest(category="Stools")  # CH-1001 names Stools; CH-1002 names “chairs ”
    before = site_state()

    response = post(client, bundle_zip(tmp_path, data), token_for(user))

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [
        {
            "where": "products[0].category",
            "message": "the category “Stools” does not exist, and user “products-team” may "
            "not add product categories",
        },
        {
            "where": "products[1].category",
            "message": "the category “chairs” does not exist, and user “products-team” may "
            "not add product categories",
        },
    ]
    assert site_state() == before


def test_existing_categories_need_no_right(client, tmp_path, catalogue, django_user_model):
    ProductCategory.objects.create(name="Chairs", slug="chairs")
    user = integrator(django_user_model, catalogue, categories=False)
    response = post(client, bundle_zip(tmp_path, manifest()), token_for(user))
    assert response.status_code == 200, response.content
    assert list(ProductCategory.objects.values_list("name", flat=True)) == ["Chairs"]
    assert ProductPage.objects.get(sku="CH-1002").category.name == "Chairs"


def test_with_the_right_to_add_categories_they_are_created(
    client, tmp_path, catalogue, django_user_model
):
    user = integrator(django_user_model, catalogue)
    response = post(client, bundle_zip(tmp_path, manifest()), token_for(user))
    assert response.status_code == 200, response.content
    assert list(ProductCategory.objects.values_list("name", flat=True)) == ["Chairs"]


# 2. Media: the right to add them in the import collection itself


def add_collection(name):
    return Collection.get_first_root_node().add_child(name=name)


def test_media_rights_on_another_collection_do_not_create_the_import_collection(
    client, tmp_path, catalogue, django_user_model
):
    user = integrator(django_user_model, catalogue, add_collection("Press"))
    before = site_state()

    response = post(client, bundle_zip(tmp_path, manifest()), token_for(user))

    assert response.status_code == 400, response.content
    where = "the collection “Root”, where the import would create “Catalogue imports” for them"
    assert response.json()["errors"] == [
        {
            "where": "products[0].hero_image.file",
            "message": f"images/ch-1001.jpg: new images (3 in this bundle) go into {where}; "
            "user “media-team” may not add images there",
        },
        {
            "where": "products[0].body[4].value[0].file",
            "message": f"documents/assembly.pdf: new documents (1 in this bundle) go into "
            f"{where}; user “media-team” may not add documents there",
        },
    ]
    assert site_state() == before
    assert not Collection.objects.filter(name="Catalogue imports").exists()


def test_media_rights_on_another_collection_do_not_reach_the_import_collection(
    client, tmp_path, catalogue, django_user_model
):
    add_collection("Catalogue imports")
    user = integrator(django_user_model, catalogue, add_collection("Press"))
    before = site_state()

    response = post(client, bundle_zip(tmp_path, manifest()), token_for(user))

    assert response.status_code == 400, response.content
    assert [(e["where"], e["message"]) for e in response.json()["errors"]] == [
        (
            "products[0].hero_image.file",
            "images/ch-1001.jpg: new images (3 in this bundle) go into the collection "
            "“Catalogue imports”; user “media-team” may not add images there",
        ),
        (
            "products[0].body[4].value[0].file",
            "documents/assembly.pdf: new documents (1 in this bundle) go into the collection "
            "“Catalogue imports”; user “media-team” may not add documents there",
        ),
    ]
    assert site_state() == before


def test_media_rights_in_the_import_collection_are_enough(
    client, tmp_path, catalogue, django_user_model
):
    imports = add_collection("Catalogue imports")
    user = integrator(django_user_model, catalogue, imports)
    response = post(client, bundle_zip(tmp_path, manifest()), token_for(user))
    assert response.status_code == 200, response.content
    assert {image.collection for image in get_image_model().objects.all()} == {imports}
    assert get_document_model().objects.get().collection == imports


def test_media_already_in_the_library_need_no_right_to_add(
    client, tmp_path, catalogue, django_user_model
):
    """Reused content is not added anywhere: only new files need the right."""
    assert run_import(write_bundle(tmp_path / "first", manifest()))[0]
    user = integrator(django_user_model, catalogue, add_collection("Press"))
    data = manifest(title="Oak chair, renamed")
    response = post(client, bundle_zip(tmp_path, data), token_for(user))
    assert response.status_code == 200, response.content
    assert response.json()["images"] == {"created": 0, "reused": 3}


# 3. Slugs of many products sharing a title


def same_title(count, title="Chair"):
    return {
        "format": "catalogue/1",
        "products": [{"sku": f"C-{n}", "title": title, "live": False} for n in range(count)],
    }


class TooMuchWork(Exception):
    pass


def within_importer_lines(limit, call):
    """What `call` returns, stopped with TooMuchWork once more than `limit` lines of the
    planner's module (products/catalogue/planner.py, where the importer's rules are) have
    run: a measure of the import's work that, unlike a stopwatch, does not depend on the
    machine's load."""
    count = 0

    def line(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
            if count > limit:
                raise TooMuchWork(f"more than {limit:,} lines of the importer")
        return line

    def call_event(frame, event, arg):
        return line if frame.f_code.co_filename == planner.__file__ else None

    previous = sys.gettrace()
    sys.settrace(call_event)
    try:
        return call()
    finally:
        sys.settrace(previous)


def test_two_thousand_products_sharing_a_title_take_linear_work(
    tmp_path, catalogue, django_assert_max_num_queries
):
    """Each product's suffix continues from the last one given for its base: the importer's
    work grows with the number of products, not its square (2,000 “Chair”s took 2 million
    tries)."""
    bundle = write_bundle(tmp_path / "b", same_title(2000), files={})
    with django_assert_max_num_queries(10):
        ok, out, err = within_importer_lines(200_000, lambda: run_import(bundle, "--dry-run"))
    assert ok, err
    assert "Products: 2000 created" in out


def test_products_sharing_a_title_get_the_next_free_suffixes(tmp_path, catalogue):
    """Around slugs already taken by the catalogue's pages and by the manifest."""
    for slug in ("chair", "chair-2", "chair-4"):
        ProductPageFactory(parent=catalogue, title="Old chair", slug=slug, sku=slug.upper())
    data = same_title(5)
    data["products"].append({"sku": "GIVEN", "title": "Given", "slug": "chair-6"})
    data["products"].append({"sku": "TWO", "title": "Chair 2"})  # base chair-2: taken
    ok, _, err = run_import(write_bundle(tmp_path / "b", data, files={}), "--no-renditions")
    assert ok, err
    slugs = dict(
        ProductPage.objects.filter(sku__in=["C-0", "C-1", "C-2", "C-3", "C-4", "TWO"]).values_list(
            "sku", "slug"
        )
    )
    assert slugs == {
        "C-0": "chair-3",
        "C-1": "chair-5",
        "C-2": "chair-7",
        "C-3": "chair-8",
        "C-4": "chair-9",
        "TWO": "chair-2-2",
    }


# 4. The number of products


def test_a_manifest_over_the_product_limit_is_refused(client, tmp_path, admin_user, settings):
    settings.CATALOGUE_MAX_PRODUCTS = 1
    before = site_state()
    response = post(client, bundle_zip(tmp_path, manifest()), token_for(admin_user))
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [
        {"where": "products", "message": "the manifest lists 2 products; the limit is 1"}
    ]
    assert site_state() == before


def test_a_csv_manifest_over_the_product_limit_is_refused(tmp_path, catalogue, settings):
    settings.CATALOGUE_MAX_PRODUCTS = 2
    rows = "sku,title\nA,Alpha\n\nB,Beta\nC,Gamma\n"  # a blank row is no product
    before = site_state()
    ok, _, err = run_import(write_bundle(tmp_path / "b", rows, files={}, name="catalogue.csv"))
    assert not ok
    assert "error: catalogue.csv: the manifest lists 3 products; the limit is 2" in err
    assert site_state() == before


def test_a_manifest_at_the_product_limit_imports(tmp_path, catalogue, settings):
    settings.CATALOGUE_MAX_PRODUCTS = 2
    ok, out, err = run_import(write_bundle(tmp_path / "b", manifest()), "--no-renditions")
    assert ok, err
    assert "Products: 2 created" in out


# 5. A folder bundle's manifest that is a symlink


def test_a_manifest_symlink_leaving_the_bundle_is_refused(tmp_path, catalogue):
    outside = tmp_path / "outside" / "secret.json"
    outside.parent.mkdir()
    outside.write_text(json.dumps(manifest()), encoding="utf-8")
    bundle = write_bundle(tmp_path / "b", {}, files=FILES)
    (bundle / "catalogue.json").unlink()
    (bundle / "catalogue.json").symlink_to(outside)
    before = site_state()

    ok, _, err = run_import(bundle)

    assert not ok
    assert "error: catalogue.json: a symlink that leaves the bundle" in err
    assert site_state() == before


def test_a_media_symlink_loop_is_a_located_error(tmp_path, catalogue):
    bundle = write_bundle(tmp_path / "b", manifest(), files=FILES)
    (bundle / "images" / "ch-1001.jpg").unlink()
    (bundle / "images" / "ch-1001.jpg").symlink_to(bundle / "images" / "loop.jpg")
    (bundle / "images" / "loop.jpg").symlink_to(bundle / "images" / "ch-1001.jpg")
    before = site_state()
    ok, _, err = run_import(bundle)
    assert not ok
    assert "error: products[0].hero_image.file: images/ch-1001.jpg: cannot be followed" in err
    assert site_state() == before


def test_a_manifest_symlink_inside_the_bundle_is_followed(tmp_path, catalogue):
    bundle = write_bundle(tmp_path / "b", manifest())
    (bundle / "data").mkdir()
    (bundle / "catalogue.json").rename(bundle / "data" / "manifest.json")
    (bundle / "catalogue.json").symlink_to(bundle / "data" / "manifest.json")
    ok, out, err = run_import(bundle, "--no-renditions")
    assert ok, err
    assert "Products: 2 created" in out


# 6. Errors about the whole zip name the uploaded file


@pytest.fixture
def temporary_folder(tmp_path, monkeypatch):
    """Python's temporary folder for the test alone: what the view leaves there shows."""
    folder = tmp_path / "temporary"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_a_broken_zip_is_named_by_its_uploaded_name(
    client, tmp_path, admin_user, temporary_folder
):
    broken = tmp_path / "upload"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    response = post(client, broken, token_for(admin_user), name="supplier.zip")
    assert response.status_code == 400, response.content
    [problem] = response.json()["errors"]
    assert problem["where"] == "supplier.zip"
    assert problem["message"].startswith("not a readable zip file")
    assert "tmp" not in response.content.decode()
    assert list(temporary_folder.iterdir()) == []


def test_a_zip_without_a_manifest_is_named_by_its_uploaded_name(
    client, tmp_path, admin_user, temporary_folder
):
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("images/a.txt", "x")
    response = post(client, empty, token_for(admin_user), name="Lieferant März.zip")
    assert response.json()["errors"] == [
        {
            "where": "Lieferant März.zip",
            "message": "no catalogue.json or catalogue.csv at the bundle's root",
        }
    ]
    assert list(temporary_folder.iterdir()) == []


def test_an_uploaded_name_too_long_for_the_file_system_is_shortened(
    client, tmp_path, admin_user, temporary_folder
):
    """200 characters of 4 bytes each are 804 bytes with “.zip”: Django's parser takes that
    (its cap is 1 KiB of part headers), no file system takes it as a file name."""
    broken = tmp_path / "upload"
    broken.write_bytes(b"not a zip")
    response = post(client, broken, token_for(admin_user), name="𝔸" * 200 + ".zip")
    assert response.status_code == 400, response.content
    where = response.json()["errors"][0]["where"]
    assert where == "𝔸" * 29 + ".zip" and len(where.encode()) <= 120
    assert list(temporary_folder.iterdir()) == []
