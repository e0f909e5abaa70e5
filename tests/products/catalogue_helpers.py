"""Building bundles for the import tests, and measuring what an import left behind."""

import copy
import json
import zipfile
from io import StringIO

from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Revision

from cms.demo.generate import make_image, make_pdf
from products.models import ProductCategory, ProductPage
from tests.storage import StoredMedia

CHAIR = make_image("Chair", 64, 48, "jpeg")
DETAIL = make_image("Detail", 48, 64, "png")
SIDE = make_image("Side", 60, 40, "webp")
MANUAL = make_pdf("Assembly manual", ["Step 1"])

FILES = {
    "images/ch-1001.jpg": CHAIR,
    "images/detail.png": DETAIL,
    "images/side.webp": SIDE,
    "documents/assembly.pdf": MANUAL,
}

MANIFEST = {
    "format": "catalogue/1",
    "products": [
        {
            "sku": "CH-1001",
            "title": "Oak dining chair",
            "slug": "oak-dining-chair",
            "category": "Chairs",
            "summary": "Solid oak, hand finished.",
            "price": "129.00",
            "tags": ["oak", "dining"],
            "hero_image": {"file": "images/ch-1001.jpg", "alt": "Oak chair seen from the front"},
            "body": [
                {"type": "heading", "value": "Craftsmanship"},
                {"type": "paragraph", "value": "<p>Rich text as HTML.</p>"},
                {
                    "type": "image",
                    "value": {
                        "file": "images/detail.png",
                        "alt": "Joint detail",
                        "caption": "Mortise and tenon",
                    },
                },
                {
                    "type": "gallery",
                    "value": [{"file": "images/side.webp", "alt": "Side"}, "images/ch-1001.jpg"],
                },
                {
                    "type": "documents",
                    "value": [{"file": "documents/assembly.pdf", "title": "Assembly manual"}],
                },
                {"type": "specs", "value": [{"name": "Height", "value": "92 cm"}]},
            ],
            "related": ["CH-1002"],
            "live": True,
        },
        {
            "sku": "CH-1002",
            "title": "Walnut chair",
            "category": "chairs ",
            "hero_image": "images/side.webp",
        },
    ],
    "media": {
        "images/ch-1001.jpg": {
            "title": "Oak chair, front",
            "alt": "Oak chair seen from the front",
            "credit": "Photo: Studio North",
        },
        "documents/assembly.pdf": {"title": "Assembly manual"},
    },
}


def manifest(**changes):
    """A deep copy of MANIFEST, with `changes` applied to the first product (and the media
    entries of files it no longer names left out)."""
    data = copy.deepcopy(MANIFEST)
    data["products"][0].update(changes)
    named = json.dumps(data["products"])
    data["media"] = {path: entry for path, entry in data["media"].items() if path in named}
    return data


def write_bundle(folder, data, files=None, name="catalogue.json"):
    """A folder bundle: `data` as the manifest (dict for JSON, str for CSV) plus `files`."""
    folder.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    (folder / name).write_text(text, encoding="utf-8")
    for path, content in (FILES if files is None else files).items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return folder


def zip_folder(folder, target, prefix=""):
    with zipfile.ZipFile(target, "w") as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, prefix + file.relative_to(folder).as_posix())
    return target


def run_import(bundle, *args):
    """(exit ok, stdout, stderr) of `manage.py import_catalogue`."""
    out, err = StringIO(), StringIO()
    try:
        call_command("import_catalogue", str(bundle), *args, stdout=out, stderr=err)
        ok = True
    except CommandError as error:
        err.write(str(error))
        ok = False
    return ok, out.getvalue(), err.getvalue()


def group_with_rights(page, codenames, name=None):
    """A group with the page permissions `codenames` on `page` and below, and what an import
    adds besides pages: categories, and images and documents in every collection."""
    group = Group.objects.create(name=name or f"Rights on {page.slug}")
    group.permissions.add(Permission.objects.get(codename="add_productcategory"))
    for codename in codenames:
        GroupPagePermission.objects.create(
            group=group, page=page, permission=Permission.objects.get(codename=codename)
        )
    for app, codename in (("wagtailimages", "add_image"), ("wagtaildocs", "add_document")):
        GroupCollectionPermission.objects.create(
            group=group,
            collection=Collection.get_first_root_node(),
            permission=Permission.objects.get(content_type__app_label=app, codename=codename),
        )
    return group


def site_state():
    """Everything an import could write: rows by kind, and the files in storage."""
    Image = get_image_model()
    return {
        "pages": ProductPage.objects.count(),
        "revisions": Revision.objects.count(),
        "categories": ProductCategory.objects.count(),
        "images": Image.objects.count(),
        "renditions": Image.get_rendition_model().objects.count(),
        "documents": get_document_model().objects.count(),
        "files": StoredMedia().names(),
    }
