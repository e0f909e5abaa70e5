"""Importing a bundle: validate everything, then write everything or nothing.

    import_bundle(path, parent=None, dry_run=False, user=None) -> ImportReport

1. Read the manifest and check every field (manifest.py).
2. Check the whole: unique SKUs and slugs, related SKUs, where products go.
3. Read every media file once, inside the bundle only: hash it, and run the same checks as an
   admin upload (cms/media/validation.py) unless the library already holds that content.
4. Work out library details and alt text (format section 2), and what each product needs:
   create, update, or nothing.
5. Check every page that would be written, wherever it is: not locked, and with a user (HTTP),
   theirs to add under, edit, publish or unpublish.
6. With no error and not a dry run: write it all in one transaction whose files are removed
   if it rolls back (cms.media.transaction.atomic). New images queue their renditions for
   after the commit (cms/media/models.py); none is made inside the transaction.
"""

import hashlib
import posixpath
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from wagtail.admin.rich_text.converters.editor_html import EditorHTMLConverter
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.locks import BasicLock, ScheduledForPublishLock, WorkflowLock
from wagtail.models import Collection, Page, Site
from wagtail.permissions import policy_registry

from cms.media import transaction as media_transaction
from cms.media.tasks import make_renditions
from cms.media.validation import (
    CheckedContentFile,
    read_limit,
    validate_document,
    validate_image,
)
from products.blocks import PARAGRAPH_FEATURES
from products.catalogue.bundle import open_bundle
from products.catalogue.manifest import parse_manifest
from products.catalogue.problems import BundleInvalid, Problems
from products.catalogue.state import body_state, product_state
from products.models import ProductCategory, ProductIndexPage, ProductPage, ProductRelatedProduct

IMPORT_COLLECTION = "Catalogue imports"
COMPARE_CHUNK = 100  # existing products loaded at a time to compare with the manifest
PAGE_ID = re.compile(r"[0-9]{1,18}", re.ASCII)  # more digits cannot be a database id


class CatalogueNotFound(Exception):
    """`--parent` (or `?parent=`) names no catalogue page, or is needed and missing."""


def find_catalogue(ref=None):
    """The catalogue page products go under, or None when the site has none yet (the import
    creates it). `ref` is a page id or a URL path below the default site's root; without it,
    the site's only catalogue. Raises CatalogueNotFound with a message otherwise."""
    indexes = ProductIndexPage.objects.order_by("path")
    if ref in (None, ""):
        found = list(indexes[:2])
        if len(found) > 1:
            raise CatalogueNotFound(
                "the site has several catalogue pages: say which (page id or URL path)"
            )
        return found[0] if found else None
    ref = str(ref)
    if PAGE_ID.fullmatch(ref):
        page = indexes.filter(pk=int(ref)).first()
        other = Page.objects.filter(pk=int(ref)).first()
    elif len(ref) <= 1000 and ref.isprintable():
        root = Site.objects.get(is_default_site=True).root_page
        url_path = root.url_path + "".join(f"{part}/" for part in ref.split("/") if part)
        page = indexes.filter(url_path=url_path).first()
        other = Page.objects.filter(url_path=url_path).first()
    else:
        problem = "is too long" if len(ref) > 1000 else "holds control characters"
        raise CatalogueNotFound(f"not a page id or URL path (it {problem})")
    if page is not None:
        return page
    if other is not None:
        raise CatalogueNotFound(f"{ref}: the page “{other.title}” is not a product catalogue")
    raise CatalogueNotFound(f"{ref}: no product catalogue page with that id or URL path")


@dataclass
class ImportReport:
    ok: bool = True
    dry_run: bool = False
    products: dict = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})
    images: dict = field(default_factory=lambda: {"created": 0, "reused": 0})
    documents: dict = field(default_factory=lambda: {"created": 0, "reused": 0})
    errors: Problems = field(default_factory=Problems)
    warnings: Problems = field(default_factory=Problems)

    def as_json(self):
        return {
            "format": "catalogue-report/1",
            "ok": self.ok,
            "dry_run": self.dry_run,
            "products": self.products,
            "images": self.images,
            "documents": self.documents,
            "errors": [p.as_json() for p in self.errors],
            "warnings": [p.as_json() for p in self.warnings],
        }


@dataclass
class Content:
    """One distinct file content in the bundle: one library item."""

    kind: str
    sha1: str
    paths: list  # in manifest order; the first names the file
    existing: object = None  # the library item that already holds this content
    item_id: int | None = None  # the library item's id once written (not the instance: it
    # would keep the file's bytes in memory until the import ends)
    title: str = ""
    alt: str = ""
    credit: str = ""


class ImportFailed(Exception):
    pass


def lock_reason(lock):
    """A page lock in words, for an error."""
    if isinstance(lock, BasicLock):
        locked_by = lock.object.locked_by
        return f"locked by {locked_by.get_username()}" if locked_by else "locked"
    if isinstance(lock, WorkflowLock):
        return f"locked in moderation (task “{lock.task.name}”)"
    if isinstance(lock, ScheduledForPublishLock):
        return "locked: a revision is scheduled for publishing"
    return "locked"


def import_bundle(path, *, parent=None, dry_run=False, user=None, progress=None, renditions=False):
    """Import the bundle at `path`. Nothing is written if anything is wrong, or on a dry run.

    `parent` is a catalogue page, or its id or URL path (`find_catalogue`). With a `user`,
    every page the import would create, change, publish or unpublish must be theirs to
    change (and no page may be locked, with or without a user), or nothing is written.
    New images queue their renditions as background tasks once the import commits; with
    `renditions`, they are also made here, after the commit, before returning (the command
    line's choice; never in a web request). `progress(done, total)` is called as products are
    written.
    """
    report = ImportReport(dry_run=dry_run)
    try:
        bundle = open_bundle(path)
    except BundleInvalid as error:
        report.errors.extend(error.problems)
        report.ok = False
        return report
    try:
        Import(bundle, report, parent, user).run(dry_run, progress, renditions)
    finally:
        bundle.close()
    report.ok = not report.errors
    return report


class Import:
    def __init__(self, bundle, report, parent, user):
        self.bundle = bundle
        self.report = report
        self.errors = report.errors
        self.parent_ref = parent
        self.user = user

    def run(self, dry_run, progress, renditions):
        self.manifest = parse_manifest(
            self.bundle.manifest_name,
            self.bundle.read_manifest(self.bundle.manifest_name),
            self.errors,
        )
        if self.manifest is None:
            return
        self.parent = self.find_parent()
        self.existing = self.existing_products()
        self.check_products()
        self.contents = self.read_media()
        self.check_media_details()
        self.resolve_library_details()
        self.plans = self.plan_products()
        self.check_rights()
        self.warn_unused_files()
        self.count()
        if self.errors or dry_run:
            return
        # Saving a new image queues its renditions for after the commit (cms/media/models.py).
        created_images = self.write(progress)
        if renditions:
            self.make_renditions(created_images)

    def make_renditions(self, image_ids):
        for image in get_image_model().objects.filter(pk__in=image_ids):
            try:
                make_renditions(image)
            except Exception as error:  # noqa: BLE001 - the import itself has succeeded
                self.report.warnings.add(
                    image.file.name,
                    f"renditions not made now ({error}); the queued task or the first "
                    "visitor makes them",
                )

    # Where products go

    def find_parent(self):
        self.parent_failed = False
        if isinstance(self.parent_ref, Page):
            return self.parent_ref  # already resolved (the HTTP view checks rights on it)
        try:
            return find_catalogue(self.parent_ref)
        except CatalogueNotFound as error:
            self.errors.add("--parent", str(error))
            self.parent_failed = True
            return None

    def existing_products(self):
        """SKU -> (page id, slug) of the manifest's products already on the site. Pages
        themselves are loaded in chunks when compared, so memory does not grow with the
        bundle."""
        skus = [spec.sku for spec in self.manifest.products if spec.sku]
        return {
            sku: (pk, slug)
            for sku, pk, slug in ProductPage.objects.filter(sku__in=skus).values_list(
                "sku", "pk", "slug"
            )
        }

    def pages_to_compare(self, skus):
        return (
            ProductPage.objects.filter(sku__in=skus)
            .select_related("category")
            .prefetch_related("tagged_items__tag", "related_products__product")
        )

    # Rules over the whole manifest

    def check_products(self):
        seen_skus, site_skus = {}, None
        for spec in self.manifest.products:
            if spec.sku in seen_skus:
                self.errors.add(
                    spec.place("sku"), f"SKU “{spec.sku}” already used by {seen_skus[spec.sku]}"
                )
            elif spec.sku:
                seen_skus[spec.sku] = spec.where
        manifest_skus = set(seen_skus)
        for spec in self.manifest.products:
            for index, sku in enumerate(spec.related):
                where = (
                    f"{spec.place('related')}[{index}]"
                    if spec.where.startswith("products")
                    else spec.place("related")
                )
                if sku == spec.sku:
                    self.errors.add(where, "a product cannot be related to itself")
                elif sku and sku not in manifest_skus:
                    if site_skus is None:
                        site_skus = set(ProductPage.objects.values_list("sku", flat=True))
                    if sku not in site_skus:
                        self.errors.add(
                            where, f"no product with SKU “{sku}” in the manifest or on the site"
                        )
        self.assign_slugs()

    def assign_slugs(self):
        """Given slugs must be free; missing ones are derived (format: slug when absent)."""
        siblings = {}
        if self.parent is not None:
            siblings = dict(Page.objects.child_of(self.parent).values_list("slug", "pk"))
        taken = {}  # slug -> sku in this manifest
        own_pk = {sku: pk for sku, (pk, _) in self.existing.items()}
        # Slugs are only ever added to `taken`, so once `base-n` is given, `base` … `base-n`
        # stay taken: the next product with that base starts at n + 1. Without this, n
        # products sharing a title took n²/2 tries.
        next_suffix = {}  # base -> the first suffix worth trying
        for spec in self.manifest.products:
            if spec.slug:
                other = taken.get(spec.slug)
                owner = siblings.get(spec.slug)
                if other and other != spec.sku:
                    self.errors.add(
                        spec.place("slug"), f"slug “{spec.slug}” is also given to SKU “{other}”"
                    )
                elif owner is not None and owner != own_pk.get(spec.sku):
                    self.errors.add(
                        spec.place("slug"),
                        f"slug “{spec.slug}” is already used by another page of the catalogue",
                    )
                taken[spec.slug] = spec.sku
        for spec in self.manifest.products:
            if spec.slug:
                continue
            if spec.sku in self.existing:
                spec.slug = self.existing[spec.sku][1]  # an update keeps its URL
                taken[spec.slug] = spec.sku
                continue
            base = slugify(
                spec.title, allow_unicode=getattr(settings, "WAGTAIL_ALLOW_UNICODE_SLUGS", True)
            )
            if not base:
                base = "".join(c if c.isalnum() or c in "-_" else "-" for c in spec.sku.lower())
            n = next_suffix.get(base, 1)
            slug = base if n == 1 else f"{base}-{n}"
            while slug in taken or (slug in siblings and siblings[slug] != own_pk.get(spec.sku)):
                n += 1
                slug = f"{base}-{n}"
            spec.slug = slug
            taken[slug] = spec.sku
            next_suffix[base] = n + 1

    # Media

    def read_media(self):
        """Hash every named file, then check each content new to the library. Files are read
        one at a time and their bytes dropped at once: memory does not grow with the bundle."""
        kinds = {}
        refs_by_path = {}
        for spec in self.manifest.products:
            for ref in spec.references():
                refs_by_path.setdefault(ref.path, []).append(ref)
                if kinds.setdefault(ref.path, ref.kind) != ref.kind:
                    self.errors.add(
                        ref.where, f"{ref.path}: used both as an image and as a document"
                    )
        self.refs_by_path = refs_by_path
        hashes = {}
        for path, kind in kinds.items():
            data = self.read_file(path, kind)
            if data is not None:
                hashes[path] = (kind, hashlib.sha1(data).hexdigest())  # noqa: S324 - file_hash
        library = {"image": get_image_model(), "document": get_document_model()}
        existing = {
            kind: {
                item.file_hash: item
                for item in model.objects.filter(
                    file_hash__in={h for k, h in hashes.values() if k == kind}
                )
            }
            for kind, model in library.items()
        }
        contents, self.content_of = {}, {}
        for path, (kind, sha1) in hashes.items():
            content = contents.get((kind, sha1))
            if content is None:
                content = contents[(kind, sha1)] = Content(kind, sha1, [])
                content.existing = existing[kind].get(sha1)
                if content.existing is None:
                    self.check_new_file(path, kind)
            content.paths.append(path)
            self.content_of[path] = content
        return contents

    def read_file(self, path, kind):
        """The file's bytes, or None with the problem recorded at its first reference."""
        where = self.refs_by_path[path][0].where
        try:
            return self.bundle.read(path, read_limit(kind))
        except BundleInvalid as error:
            self.errors.extend(problem.moved_to(where) for problem in error.problems)
        except OSError as error:
            self.errors.add(where, f"{path}: cannot be read ({error})")
        return None

    def check_new_file(self, path, kind):
        """Content new to the library: the same checks as an admin upload."""
        check = validate_image if kind == "image" else validate_document
        try:
            check(self.read_file(path, kind), path)
        except ValidationError as error:
            for message in error.messages:
                self.errors.add(self.refs_by_path[path][0].where, message)

    def check_media_details(self):
        for path, place in self.manifest.media_places.items():
            content = self.content_of.get(path)
            if path not in self.refs_by_path:
                self.errors.add(place, f"{path}: not named by any reference in the manifest")
            elif content and content.kind == "document":
                extra = set(self.manifest.media.get(path, {})) - {"title"}
                for key in sorted(extra):
                    self.errors.add(f"{place}.{key}", "a document's details hold only a title")

    def resolve_library_details(self):
        """Title, alt and credit of each new library item (format: library details)."""
        for content in self.contents.values():
            if content.existing is not None:
                continue
            entries = [self.manifest.media[p] for p in content.paths if p in self.manifest.media]
            first_path = content.paths[0]
            content.title = next(
                (e["title"] for e in entries if "title" in e),
                posixpath.splitext(posixpath.basename(first_path))[0][:255],
            )
            if content.kind == "image":
                content.credit = next((e["credit"] for e in entries if "credit" in e), "")
                content.alt = next((e["alt"] for e in entries if e.get("alt")), "")
                if not content.alt:
                    content.alt = next(
                        (
                            ref.alt
                            for path in content.paths
                            for ref in self.refs_by_path[path]
                            if ref.alt
                        ),
                        "",
                    )
            else:
                content.title = next((e["title"] for e in entries if "title" in e), None) or next(
                    (
                        ref.title
                        for path in content.paths
                        for ref in self.refs_by_path[path]
                        if ref.title
                    ),
                    content.title,
                )

    def library_alt(self, ref):
        content = self.content_of.get(ref.path)
        if content is None:
            return ""
        return content.existing.description if content.existing else content.alt

    def library_title(self, ref):
        content = self.content_of[ref.path]
        return content.existing.title if content.existing else content.title

    # Plans

    def plan_products(self):
        """(action, spec, existing page id) per product: create, update or unchanged."""
        for spec in self.manifest.products:
            for ref in spec.references():
                if ref.kind == "image" and ref.alt is None and not self.library_alt(ref):
                    self.errors.add(
                        ref.where,
                        f"{ref.path}: no alt text: give “alt” here, in "
                        "the media details, or on another use of this file "
                        '("alt": "" marks a decorative use)',
                    )
        plans = []
        specs = self.manifest.products
        for start in range(0, len(specs), COMPARE_CHUNK):
            chunk = specs[start : start + COMPARE_CHUNK]
            pages = {}
            on_site = [s.sku for s in chunk if s.sku in self.existing]
            if on_site and not self.errors:
                pages = {p.sku: p for p in self.pages_to_compare(on_site)}
            for spec in chunk:
                existing = self.existing.get(spec.sku)
                if existing is None:
                    plans.append(("create", spec, None))
                elif spec.sku in pages and product_state(pages[spec.sku]) == self.desired_state(
                    spec
                ):
                    plans.append(("unchanged", spec, existing[0]))
                else:
                    plans.append(("update", spec, existing[0]))
        return plans

    # Rights: checked on every page the import would write, before anything is written

    def check_rights(self):
        """Every page the import would create under, change, publish or unpublish must be the
        user's to change, and not locked against them. SKUs match site-wide, so an update can
        land outside the chosen catalogue: each page is checked where it is."""
        updates = {pk: spec for action, spec, pk in self.plans if action == "update"}
        creates = [spec for action, spec, _ in self.plans if action == "create"]
        if self.user is not None:
            if creates and not self.parent_failed:
                self.check_new_pages(creates)
            self.check_new_categories()
            self.check_new_media()
        ids = list(updates)
        for start in range(0, len(ids), COMPARE_CHUNK):
            pages = ProductPage.objects.filter(pk__in=ids[start : start + COMPARE_CHUNK])
            for page in pages.select_related("locked_by"):
                spec = updates[page.pk]
                refusal = self.refusal(page, spec)
                if refusal:
                    self.errors.add(
                        spec.place("sku"),
                        f"SKU “{spec.sku}” is the page {self.describe(page)}: {refusal}",
                    )

    def refusal(self, page, spec):
        """Why the import may not update `page` to `spec`, or None."""
        lock = page.get_lock()
        if lock is not None and (self.user is None or lock.for_user(self.user)):
            return f"it is {lock_reason(lock)}"
        if self.user is None:
            return None  # the command line runs with the site's own rights
        rights = page.permissions_for_user(self.user)
        who = self.who()
        if not rights.can_edit():
            return f"{who} may not edit it"
        if spec.live and not rights.can_publish():
            return f"{who} may not publish it"
        if not spec.live and page.live and not rights.can_unpublish():
            return f"{who} may not unpublish it"
        return None

    def check_new_pages(self, creates):
        parent = self.parent or Site.objects.get(is_default_site=True).root_page
        rights = parent.permissions_for_user(self.user)
        who = self.who()
        may_add, may_publish = rights.can_add_subpage(), rights.can_publish_subpage()
        for spec in creates:
            if not may_add or (spec.live and not may_publish):
                self.errors.add(
                    spec.place("sku"),
                    f"SKU “{spec.sku}” would be a new page under {self.describe(parent)}, "
                    f"where {who} may not {'add' if not may_add else 'publish'} pages",
                )

    def who(self):
        return f"user “{self.user.get_username()}”"

    def check_new_categories(self):
        """Creating a category needs the snippet's add permission (existing categories are
        only ever linked to, never changed)."""
        new = self.new_categories()
        policy = policy_registry.get_by_type(ProductCategory)
        if new and not policy.user_has_permission(self.user, "add"):
            for name, spec in new.values():
                self.errors.add(
                    spec.place("category"),
                    f"the category “{name}” does not exist, and {self.who()} may not add "
                    "product categories",
                )

    def new_categories(self):
        """Case-folded name -> (name, first product naming it) of the categories the import
        would create."""
        found = {
            name.strip().casefold()
            for name in ProductCategory.objects.values_list("name", flat=True)
        }
        new = {}
        for spec in self.manifest.products:
            if spec.category:
                name = spec.category.strip()
                if name.casefold() not in found:
                    new.setdefault(name.casefold(), (name, spec))
        return new

    def check_new_media(self):
        """New images and documents go into the import collection: the user must be allowed
        to add them there, or, while it does not exist, in the collection it would be created
        under (Wagtail's collection permissions pass down to child collections)."""
        first_new = {}  # kind -> the first content new to the library, and how many
        for content in self.contents.values():
            if content.existing is None:
                first, count = first_new.get(content.kind, (content, 0))
                first_new[content.kind] = (first, count + 1)
        if not first_new:
            return
        collection = self.find_import_collection()
        target = collection or Collection.get_first_root_node()
        where = (
            f"the collection “{IMPORT_COLLECTION}”"
            if collection
            else f"the collection “{target.name}”, where the import would create "
            f"“{IMPORT_COLLECTION}” for them"
        )
        for kind, (content, count) in first_new.items():
            model = get_image_model() if kind == "image" else get_document_model()
            allowed = policy_registry.get_by_type(model).collections_user_has_permission_for(
                self.user, "add"
            )
            if not allowed.filter(pk=target.pk).exists():
                path = content.paths[0]
                plural = model._meta.verbose_name_plural
                self.errors.add(
                    self.refs_by_path[path][0].where,
                    f"{path}: new {plural} ({count} in this bundle) go into {where}; "
                    f"{self.who()} may not add {plural} there",
                )

    def describe(self, page):
        if not hasattr(self, "root_path"):
            self.root_path = Site.objects.get(is_default_site=True).root_page.url_path
        root, path = self.root_path, page.url_path
        path = "/" + path[len(root) :] if path.startswith(root) else path
        return f"“{page.title}” ({path}, id {page.pk})"

    def image_use(self, ref):
        """Raw ImageBlock value for a reference (the image's id filled in at write time)."""
        if ref.alt == "":
            return {"alt_text": "", "decorative": True}
        return {"alt_text": ref.alt or self.library_alt(ref), "decorative": False}

    def raw_body(self, spec, item_id):
        """The body as StreamField raw data; `item_id(ref)` gives a library item's id."""
        body = []
        for block in spec.body:
            value = block.value
            if block.type == "heading":
                raw = value
            elif block.type == "paragraph":
                raw = EditorHTMLConverter(features=PARAGRAPH_FEATURES).to_database_format(value)
            elif block.type == "image":
                raw = {
                    "image": {"image": item_id(value), **self.image_use(value)},
                    "caption": value.caption,
                }
            elif block.type == "gallery":
                raw = [{"image": item_id(ref), **self.image_use(ref)} for ref in value]
            elif block.type == "documents":
                raw = [
                    {
                        "document": item_id(ref),
                        "title": ref.title
                        if ref.title and ref.title != self.library_title(ref)
                        else "",
                    }
                    for ref in value
                ]
            else:
                raw = [{"name": name, "value": text} for name, text in value]
            body.append({"type": block.type, "value": raw})
        return body

    def desired_state(self, spec, item_id=None):
        item_id = item_id or (
            lambda ref: (
                self.content_of[ref.path].existing.pk
                if self.content_of[ref.path].existing
                else None
            )
        )
        return {
            "title": spec.title,
            "slug": spec.slug,
            "summary": spec.summary,
            "price": spec.price,
            "category": spec.category.casefold() if spec.category else None,
            "tags": sorted(spec.tags),
            "hero_image": item_id(spec.hero) if spec.hero else None,
            "hero_alt": self.hero_alt(spec),
            "body": body_state(self.raw_body(spec, item_id)),
            "related": list(spec.related),
            "live": spec.live,
        }

    def hero_alt(self, spec):
        """The page's own hero alt: the reference's, where it differs from the library's."""
        if spec.hero and spec.hero.alt and spec.hero.alt != self.library_alt(spec.hero):
            return spec.hero.alt
        return ""

    def warn_unused_files(self):
        named = set(self.refs_by_path)
        for path in self.bundle.files():
            if path not in named:
                self.report.warnings.add(path, "not named by the manifest")

    def count(self):
        for action, _, _ in self.plans:
            self.report.products[
                {"create": "created", "update": "updated", "unchanged": "unchanged"}[action]
            ] += 1
        for content in self.contents.values():
            bucket = self.report.images if content.kind == "image" else self.report.documents
            bucket["reused" if content.existing else "created"] += 1

    # Writing

    def write(self, progress):
        created_images = []
        try:
            with media_transaction.atomic():
                collection = self.import_collection()
                for content in self.contents.values():
                    if content.existing is None:
                        content.item_id = self.add_to_library(content, collection).pk
                        if content.kind == "image":
                            created_images.append(content.item_id)
                    else:
                        content.item_id = content.existing.pk
                parent = self.parent or self.create_catalogue()
                categories = self.categories()
                todo = [plan for plan in self.plans if plan[0] != "unchanged"]
                # Pass 1: every new product exists (related links may point at any of them).
                page_ids = {sku: pk for sku, (pk, _) in self.existing.items()}
                for action, spec, _ in todo:
                    if action == "create":
                        page_ids[spec.sku] = self.create_product(spec, parent, categories)
                related = {sku for _, spec, _ in todo for sku in spec.related} - set(page_ids)
                page_ids.update(
                    ProductPage.objects.filter(sku__in=related).values_list("sku", "pk")
                )
                # Pass 2: content, tags and links, then a revision (and publishing). One
                # page is in memory at a time.
                for done, (action, spec, _) in enumerate(todo, start=1):
                    page = ProductPage.objects.get(pk=page_ids[spec.sku])
                    if action == "update":
                        self.set_content(page, spec, categories)
                    self.publish(page, spec, page_ids)
                    if progress:
                        progress(done, len(todo))
        except ImportFailed:
            return []
        except Exception as error:
            self.errors.add(
                "import",
                f"the import failed while writing and was rolled back, nothing was kept: {error}",
            )
            return []
        return created_images

    def find_import_collection(self):
        """The collection new media go into, or None while it does not exist."""
        root = Collection.get_first_root_node()
        return root.get_children().filter(name=IMPORT_COLLECTION).first()

    def import_collection(self):
        return self.find_import_collection() or Collection.get_first_root_node().add_child(
            name=IMPORT_COLLECTION
        )

    def add_to_library(self, content, collection):
        path = content.paths[0]
        data = self.bundle.read(path, read_limit(content.kind))
        file = CheckedContentFile(data, name=posixpath.basename(path), checked_as=content.kind)
        if content.kind == "image":
            item = get_image_model()(
                title=content.title,
                description=content.alt,
                credit=content.credit,
                collection=collection,
                file=file,
                uploaded_by_user=self.user,
            )
        else:
            item = get_document_model()(
                title=content.title, collection=collection, file=file, uploaded_by_user=self.user
            )
        item.save()
        return item

    def create_catalogue(self):
        site = Site.objects.get(is_default_site=True)
        index = ProductIndexPage(title="Products", slug="products")
        site.root_page.add_child(instance=index)
        index.save_revision(user=self.user).publish(user=self.user)
        return index

    def categories(self):
        """Name (case-folded) -> category, creating those the manifest names for the first
        time."""
        wanted = {spec.category.strip() for spec in self.manifest.products if spec.category}
        found = {c.name.strip().casefold(): c for c in ProductCategory.objects.all()}
        for name in sorted(wanted):
            if name.casefold() not in found:
                base = slugify(name, allow_unicode=True) or "category"
                slug, n = base, 1
                while ProductCategory.objects.filter(slug=slug).exists():
                    n += 1
                    slug = f"{base}-{n}"
                found[name.casefold()] = ProductCategory.objects.create(name=name, slug=slug)
        return found

    def item_id(self, ref):
        return self.content_of[ref.path].item_id

    def fields(self, spec, categories):
        return {
            "title": spec.title,
            "draft_title": spec.title,
            "slug": spec.slug,
            "summary": spec.summary,
            "price": spec.price,
            "category": categories[spec.category.casefold()] if spec.category else None,
            "hero_image_id": self.content_of[spec.hero.path].item_id if spec.hero else None,
            "hero_alt": self.hero_alt(spec),
            "body": self.raw_body(spec, self.item_id),
        }

    def create_product(self, spec, parent, categories):
        """Create the page (not live yet); return its id."""
        page = ProductPage(
            sku=spec.sku, live=False, owner=self.user, **self.fields(spec, categories)
        )
        self.clean_body(page, spec)
        page.tags.set(spec.tags)  # saved with the page (a cluster)
        parent.add_child(instance=page)
        return page.pk

    def set_content(self, page, spec, categories):
        for name, value in self.fields(spec, categories).items():
            setattr(page, name, value)
        self.clean_body(page, spec)
        page.tags.set(spec.tags)

    def clean_body(self, page, spec):
        # Page saves skip StreamField validation; run it, as the editor's form would.
        try:
            ProductPage.body.field.stream_block.clean(page.body)
        except ValidationError as error:
            self.errors.add(f"{spec.where}.body", "; ".join(error.messages))
            raise ImportFailed from error

    def publish(self, page, spec, page_ids):
        page.related_products = [
            ProductRelatedProduct(product_id=page_ids[sku], sort_order=n)
            for n, sku in enumerate(spec.related)
        ]
        if spec.live:
            # Already validated above: skip the revision's second full_clean().
            page.save_revision(user=self.user, clean=False).publish(user=self.user)
        else:
            if page.live:
                page.unpublish(user=self.user)
            page.save()  # a page that is not public keeps its latest content in its row too
            page.save_revision(user=self.user, clean=False)
