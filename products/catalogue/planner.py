"""Planning an import: an open bundle and the site in, a frozen `ImportPlan` out.

    make_plan(bundle, parent=None, user=None) -> ImportPlan

The planner reads the database and the bundle and writes nothing (no row, no file): a dry
run is a plan, and so is what an admin or an API client reviews before applying it.

1. Read the manifest and check every field (manifest.py, block_converters.py).
2. Check the whole: unique SKUs and slugs, related SKUs, where products go.
3. Read every media file named by the manifest once: hash it, match it with the library by
   content, and run the same checks as an admin upload (cms/media/validation.py) on content
   new to the library, from the same bytes.
4. Work out library details and alt text (format section 2), each page's stored content, and
   what each product needs: create, update, unpublish, or nothing.
5. Check every page that would be written, wherever it is: not locked, and with a user (HTTP),
   theirs to add under, edit, publish or unpublish.
6. Record what was read (each matched page's latest revision, live state and lock; each
   reused library item's content hash) so the writer can tell whether the site has moved.
"""

import contextlib
import hashlib
import posixpath
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from types import MappingProxyType

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.text import slugify
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.locks import BasicLock, ScheduledForPublishLock, WorkflowLock
from wagtail.models import Collection, Page, Site
from wagtail.permissions import policy_registry

from cms.media.crops import focal_point_problem, focal_point_value, image_size
from cms.media.duplicates import ImportCheck
from cms.media.library import content_hash
from cms.media.validation import read_limit, validate_document, validate_image
from products.catalogue.block_converters import clean_markup, converter, use_alt
from products.catalogue.manifest import parse_manifest
from products.catalogue.memory import existing_objects_frozen
from products.catalogue.problems import BundleInvalid
from products.catalogue.report import ImportReport
from products.catalogue.state import body_state, stored_products
from products.models import ProductCategory, ProductIndexPage, ProductPage

IMPORT_COLLECTION = "Catalogue imports"
COMPARE_CHUNK = 500  # existing products read at a time to compare with the manifest
SIZES_CHUNK = 500  # file sizes looked up in the library per query
REPORT_KEYS = {"create": "created", "update": "updated", "unpublish": "updated"}
PAGE_ID = re.compile(r"[0-9]{1,18}", re.ASCII)  # more digits cannot be a database id


@dataclass(frozen=True)
class NewItem:
    """A library item the writer adds, where a page's content names it: the writer puts the
    item's id in its place."""

    kind: str  # "image" or "document"
    sha1: str


@dataclass(frozen=True)
class MediaPlan:
    """One distinct file content of the bundle: one library item, new or reused."""

    kind: str
    sha1: str
    paths: tuple  # in manifest order; the first names the file
    where: str  # the first reference's place, for errors
    item_id: int | None = None  # the library item holding this content already
    title: str = ""  # library details of a new item (format section 2)
    alt: str = ""
    credit: str | None = None  # None: the manifest gives none (filled from the file's metadata)
    focal_point: tuple | None = None  # format 1.1 library details of a new image
    licence: str = ""
    source: str = ""
    expires: object = None  # a date, or None

    @property
    def action(self):
        """`new` or `reuse` (the library item is `item_id`). There is no `replace`: the
        format never changes a library item's file or details."""
        return "new" if self.item_id is None else "reuse"

    @property
    def key(self):
        """What a page stores for this item: its id, or a NewItem until it exists."""
        return NewItem(self.kind, self.sha1) if self.item_id is None else self.item_id


@dataclass(frozen=True)
class ProductPlan:
    """One product of the manifest and what the writer does with it."""

    action: str  # create, update, unchanged or unpublish
    sku: str
    title: str
    where: str  # the product's place in the manifest
    sku_place: str
    page_id: int | None  # the page with this SKU on the site
    slug: str
    summary: str
    price: Decimal | None
    category: str | None  # the name as given (trimmed); matched case-insensitively
    tags: tuple
    hero_image: object  # a library item id, a NewItem, or None
    hero_alt: str
    body: tuple  # StreamField raw data, library items as ids or NewItems
    related: tuple  # SKUs, in display order
    live: bool
    hero_focal_point: tuple | None = None  # format 1.1: the hero's own focal point


@dataclass(frozen=True)
class PageSnapshot:
    """What a page was when the plan read it."""

    latest_revision_id: int | None
    live: bool
    last_published_at: object
    locked: bool


@dataclass(frozen=True)
class Snapshot:
    """What the plan read from the site, for the writer to check it is still so."""

    parent_id: int | None  # None: the writer creates the catalogue page
    pages: MappingProxyType  # page id -> PageSnapshot, for every product matched by SKU
    library: MappingProxyType  # (kind, item id) -> file_hash, for every reused item


@dataclass(frozen=True)
class ImportPlan:
    """Everything an import would do. `report` is the dry run's report."""

    report: ImportReport
    products: tuple = ()
    media: tuple = ()
    snapshot: Snapshot = None
    user: object = None

    @classmethod
    def refused(cls, problems, user=None):
        """The plan of a bundle that cannot be read at all: its problems, nothing to do."""
        report = ImportReport(ok=False, dry_run=True)
        report.errors.extend(problems)
        return cls(report=report, user=user)

    @property
    def ok(self):
        return not self.report.errors

    def fingerprint(self):
        """A digest of everything the plan will do and everything it read from the site (the
        snapshot): two plans of one bundle with the same fingerprint were made from the same
        site. A reviewed job applies its new plan only if this has not changed."""
        snapshot = self.snapshot
        read = snapshot and (
            snapshot.parent_id,
            sorted(snapshot.pages.items()),
            sorted(snapshot.library.items()),
        )
        return hashlib.sha256(repr((self.products, self.media, read)).encode()).hexdigest()

    def summary(self):
        """The plan as JSON-able data: counts, one action per product, problems."""
        products = dict.fromkeys(("create", "update", "unchanged", "unpublish"), 0)
        for product in self.products:
            products[product.action] += 1
        media = {"new": 0, "reuse": 0}
        for item in self.media:
            media[item.action] += 1
        return {
            "products": products,
            "media": media,
            "actions": [
                {"sku": p.sku, "title": p.title, "action": p.action} for p in self.products
            ],
            "errors": [p.as_json() for p in self.report.errors],
            "warnings": [p.as_json() for p in self.report.warnings],
        }


def make_plan(bundle, *, parent=None, user=None):
    """Plan the import of an open bundle (bundle.py) under `parent` (a catalogue page, or its
    id or URL path: `find_catalogue`), as `user` (None: the command line, the site's own
    rights). Reads the site and the bundle; writes nothing."""
    with existing_objects_frozen():
        return Planning(bundle, parent, user).plan()


class CatalogueNotFound(Exception):
    """`--parent` (or `?parent=`) names no catalogue page, or is needed and missing."""


def find_catalogue(ref=None, user=None):
    """The catalogue page products go under, or None when the site has none yet (the import
    creates it). `ref` is a page id or a URL path below the default site's root; without it,
    the site's only catalogue. Raises CatalogueNotFound with a message otherwise; a page that
    is no catalogue is named only to a `user` who may edit it (None: the command line), so a
    token cannot read draft titles by id."""
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
    if other is not None and (user is None or other.permissions_for_user(user).can_edit()):
        raise CatalogueNotFound(f"{ref}: the page “{other.title}” is not a product catalogue")
    raise CatalogueNotFound(f"{ref}: no product catalogue page with that id or URL path")


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


def find_import_collection():
    """The collection new media go into, or None while it does not exist."""
    root = Collection.get_first_root_node()
    return root.get_children().filter(name=IMPORT_COLLECTION).first()


@dataclass
class Content:
    """One distinct file content while planning (MediaPlan once resolved)."""

    kind: str
    sha1: str
    paths: list
    existing: object = None  # the library item that already holds this content
    title: str = ""
    alt: str = ""
    credit: str | None = None
    focal_point: tuple | None = None
    licence: str = ""
    source: str = ""
    expires: object = None
    size: tuple | None = None  # (width, height) upright: read only where a focal point needs it


class Planning:
    """The work of one plan; `plan()` returns the frozen result."""

    def __init__(self, bundle, parent_ref, user):
        self.bundle = bundle
        self.parent_ref = parent_ref
        self.user = user
        self.report = ImportReport(dry_run=True)
        self.errors = self.report.errors

    def plan(self):
        self.manifest = parse_manifest(
            self.bundle.manifest_name,
            self.bundle.read_manifest(self.bundle.manifest_name),
            self.errors,
        )
        if self.manifest is None:
            self.report.ok = False
            return ImportPlan(report=self.report, user=self.user)
        self.parent = self.find_parent()
        self.existing = self.existing_products()
        self.check_products()
        self.contents = self.read_media()
        self.check_media_details()
        self.check_focal_points()
        self.resolve_library_details()
        self.check_alt_text()
        self.actions = self.compare_products()
        self.check_rights()
        self.warn_unused_files()
        self.count()
        self.report.ok = not self.errors
        return ImportPlan(
            report=self.report,
            products=tuple(self.product_plans()),
            media=tuple(self.media_plans()),
            snapshot=Snapshot(
                parent_id=self.parent.pk if self.parent else None,
                pages=MappingProxyType(self.page_snapshots),
                library=MappingProxyType(
                    {
                        (c.kind, c.existing.pk): c.existing.file_hash
                        for c in self.contents.values()
                        if c.existing is not None
                    }
                ),
            ),
            user=self.user,
        )

    # Where products go

    def find_parent(self):
        self.parent_failed = False
        if isinstance(self.parent_ref, Page):
            return self.parent_ref  # already resolved (the HTTP view checks rights on it)
        try:
            return find_catalogue(self.parent_ref, self.user)
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
        """Read each named file once: hash it, match it with the library, and check content
        new to the library from the same bytes. Bytes are dropped after each file, so memory
        does not grow with the bundle."""
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
        library = LibraryMatch(self.bundle, kinds)
        contents, self.content_of = {}, {}
        for path, kind in kinds.items():
            data = self.read_file(path, kind)
            if data is None:
                continue
            sha1 = content_hash(data)
            content = contents.get((kind, sha1))
            if content is None:
                content = contents[(kind, sha1)] = Content(kind, sha1, [])
                content.existing = library.item(kind, sha1, path, len(data))
                if content.existing is None:
                    self.check_new_file(path, kind, data)
            if content.size is None and path in self.focal_paths():
                content.size = image_size(content.existing, data)
            content.paths.append(path)
            self.content_of[path] = content
        for where, message in self.near_duplicates.warnings():
            self.report.warnings.add(where, message)
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

    def check_new_file(self, path, kind, data):
        """Content new to the library: the same checks as an admin upload."""
        check = validate_image if kind == "image" else validate_document
        try:
            check(data, path)
        except ValidationError as error:
            for message in error.messages:
                self.errors.add(self.refs_by_path[path][0].where, message)
            return
        if kind == "image":
            self.warn_near_duplicate(path, data)

    @cached_property
    def near_duplicates(self):
        return ImportCheck()

    def warn_near_duplicate(self, path, data):
        """An image new to the library that looks like one in it (cms/media/duplicates.py):
        a warning at its first reference (added by `read_media`); imported all the same."""
        self.near_duplicates.check(self.refs_by_path[path][0].where, path, data)

    def focal_paths(self):
        """Paths of images some focal point (format 1.1) is given for: their sizes are read."""
        if not hasattr(self, "_focal_paths"):
            self._focal_paths = {
                path for path, entry in self.manifest.media.items() if "focal_point" in entry
            } | {
                path
                for path, refs in self.refs_by_path.items()
                if any(ref.focal_point for ref in refs)
            }
        return self._focal_paths

    def check_focal_points(self):
        """Every focal point (a use's, a library entry's) lies inside its image."""
        for path, refs in self.refs_by_path.items():
            content = self.content_of.get(path)
            if content is None or content.size is None:
                continue
            entry = self.manifest.media.get(path, {})
            if "focal_point" in entry:
                problem = focal_point_problem(entry["focal_point"], content.size)
                if problem:
                    self.errors.add(f"{self.manifest.media_places[path]}.focal_point", problem)
            for ref in refs:
                problem = ref.focal_point and focal_point_problem(ref.focal_point, content.size)
                if problem:
                    self.errors.add(ref.focal_point_where, f"{path}: {problem}")

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
            refs = [ref for path in content.paths for ref in self.refs_by_path[path]]
            file_title = posixpath.splitext(posixpath.basename(content.paths[0]))[0][:255]
            given_title = next((e["title"] for e in entries if "title" in e), None)
            if content.kind == "image":
                content.title = given_title or file_title
                content.credit = next((e["credit"] for e in entries if "credit" in e), None)
                for key in ("focal_point", "licence", "source", "expires"):  # format 1.1
                    given = next((e[key] for e in entries if key in e), None)
                    if given is not None:
                        setattr(content, key, given)
                content.alt = next((e["alt"] for e in entries if e.get("alt")), "") or next(
                    (ref.alt for ref in refs if ref.alt), ""
                )
            else:
                first_given = next((ref.title for ref in refs if ref.title), None)
                content.title = given_title or first_given or file_title

    def library_alt(self, ref):
        content = self.content_of.get(ref.path)
        if content is None:
            return ""
        return content.existing.description if content.existing else content.alt

    def library_title(self, ref):
        content = self.content_of[ref.path]
        return content.existing.title if content.existing else content.title

    def check_alt_text(self):
        for spec in self.manifest.products:
            for ref in spec.references():
                if ref.kind == "image" and ref.alt is None and not self.library_alt(ref):
                    self.errors.add(
                        ref.where,
                        f"{ref.path}: no alt text: give “alt” here, in "
                        "the media details, or on another use of this file "
                        '("alt": "" marks a decorative use)',
                    )

    # Page content, as stored

    def item_key(self, ref):
        """What a page stores for the library item a reference names (None: unreadable)."""
        content = self.content_of.get(ref.path)
        if content is None:
            return None
        return content.existing.pk if content.existing else NewItem(content.kind, content.sha1)

    def image(self, ref):
        """The stored use of an image (ImageBlock raw data); `uses` for block converters."""
        alt_text, decorative = use_alt(ref.alt, self.library_alt(ref))
        use = {"image": self.item_key(ref), "alt_text": alt_text, "decorative": decorative}
        if ref.focal_point:
            use["focal_point"] = focal_point_value(ref.focal_point)
        return use

    def document(self, ref):
        """The stored use of a document: a per-use title only where it differs."""
        title = ref.title if ref.title and ref.title != self.library_title(ref) else ""
        return {"document": self.item_key(ref), "title": title}

    def rich_text(self, html):
        """A paragraph's markup as stored (block converters), or as given while
        `compare_products` tries whether the stored markup is the manifest's."""
        return html if self.markup_as_given else clean_markup(html)

    def raw_body(self, spec, *, markup_as_given=False):
        self.markup_as_given = markup_as_given
        return [
            {"type": block.type, "value": converter(block.type).to_stream(block.value, self)}
            for block in spec.body
        ]

    def hero_alt(self, spec):
        """The page's own hero alt: the one the reference shows, where it differs from the
        library's (the page falls back to the library's alt)."""
        if not spec.hero:
            return ""
        library_alt = self.library_alt(spec.hero)
        alt_text, _ = use_alt(spec.hero.alt, library_alt)
        return alt_text if alt_text != library_alt else ""

    def hero_focal_point(self, spec):
        """The hero's own focal point as the page stores it, or None."""
        return focal_point_value(spec.hero.focal_point) if spec.hero else None

    def desired_state(self, spec, body):
        """What the page's `state` (state.stored_products) would be once imported."""
        return {
            "title": spec.title,
            "slug": spec.slug,
            "summary": spec.summary,
            "price": spec.price,
            "category": spec.category.casefold() if spec.category else None,
            "tags": sorted(spec.tags),
            "hero_image": self.item_key(spec.hero) if spec.hero else None,
            "hero_alt": self.hero_alt(spec),
            "hero_focal_point": self.hero_focal_point(spec),
            "body": body_state(body),
            "related": list(spec.related),
            "live": spec.live,
        }

    # Actions

    def compare_products(self):
        """(action, spec, page id, raw body) per product; records each page's snapshot."""
        self.page_snapshots = {}
        actions = []
        specs = self.manifest.products
        for start in range(0, len(specs), COMPARE_CHUNK):
            chunk = specs[start : start + COMPARE_CHUNK]
            pages = {}
            on_site = [s.sku for s in chunk if s.sku in self.existing]
            if on_site and not self.errors:
                pages = {row["sku"]: row for row in stored_products(on_site)}
            for page in pages.values():
                self.page_snapshots[page["pk"]] = PageSnapshot(
                    page["latest_revision_id"],
                    page["live"],
                    page["last_published_at"],
                    page["locked"],
                )
            for spec in chunk:
                existing = self.existing.get(spec.sku)
                page = pages.get(spec.sku)
                if page is not None and self.is_unchanged(page, spec):
                    actions.append(("unchanged", spec, existing[0], []))
                    continue
                body = self.raw_body(spec) if not self.errors else []
                if existing is None:
                    action = "create"
                elif page is not None and page["state"] == self.desired_state(spec, body):
                    action = "unchanged"
                elif page is not None and page["live"] and not spec.live:
                    action = "unpublish"
                else:
                    action = "update"
                actions.append((action, spec, existing[0] if existing else None, body))
        return actions

    def is_unchanged(self, page, spec):
        """Whether the page already holds what the import would store, its stored markup
        compared with the manifest's as given: cleaning every paragraph's markup was a third
        of re-planning an unchanged bundle, and markup equal to stored (cleaned) markup cleans
        to itself. Otherwise the product is compared again, its markup cleaned."""
        body = self.raw_body(spec, markup_as_given=True)
        return page["state"] == self.desired_state(spec, body)

    # Rights: checked on every page the import would write, before anything is written

    def check_rights(self):
        """Every page the import would create under, change, publish or unpublish must be the
        user's to change, and not locked against them. SKUs match site-wide, so an update can
        land outside the chosen catalogue: each page is checked where it is."""
        updates = {
            pk: spec for action, spec, pk, _ in self.actions if action in ("update", "unpublish")
        }
        creates = [spec for action, spec, _, _ in self.actions if action == "create"]
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
        collection = find_import_collection()
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

    # The report, and the frozen plan

    def warn_unused_files(self):
        named = set(self.refs_by_path)
        for path in self.bundle.files():
            if path not in named:
                self.report.warnings.add(path, "not named by the manifest")

    def count(self):
        for action, _, _, _ in self.actions:
            self.report.products[REPORT_KEYS.get(action, "unchanged")] += 1
        for content in self.contents.values():
            bucket = self.report.images if content.kind == "image" else self.report.documents
            bucket["reused" if content.existing else "created"] += 1

    def product_plans(self):
        for action, spec, page_id, body in self.actions:
            yield ProductPlan(
                action=action,
                sku=spec.sku,
                title=spec.title,
                where=spec.where,
                sku_place=spec.place("sku"),
                page_id=page_id,
                slug=spec.slug,
                summary=spec.summary,
                price=spec.price,
                category=spec.category.strip() if spec.category else None,
                tags=tuple(spec.tags),
                hero_image=self.item_key(spec.hero) if spec.hero else None,
                hero_alt=self.hero_alt(spec),
                body=tuple(body),
                related=tuple(spec.related),
                live=spec.live,
                hero_focal_point=spec.hero.focal_point if spec.hero else None,
            )

    def media_plans(self):
        for content in self.contents.values():
            yield MediaPlan(
                kind=content.kind,
                sha1=content.sha1,
                paths=tuple(content.paths),
                where=self.refs_by_path[content.paths[0]][0].where,
                item_id=content.existing.pk if content.existing else None,
                title=content.title,
                alt=content.alt,
                credit=content.credit,
                focal_point=content.focal_point,
                licence=content.licence,
                source=content.source,
                expires=content.expires,
            )


@dataclass(frozen=True)
class LibraryItem:
    """What a plan reads of a library item that already holds a file's content."""

    pk: int
    file_hash: str
    title: str
    description: str = ""  # an image's alt text; documents have none
    width: int = 0  # an image's upright size
    height: int = 0


class LibraryMatch:
    """Finds the library item holding a file's content without a query per file: items
    whose size equals a named file's size (as the bundle declares it) are loaded up front,
    a few hundred sizes per query; a file whose bytes turn out to have another size is
    looked up on its own."""

    MODELS = {"image": get_image_model, "document": get_document_model}
    # Read as rows, not model objects: building an image object (its file fields, the
    # width/height update on load) was a quarter of re-planning.
    FIELDS = {
        "image": ("pk", "file_hash", "title", "description", "width", "height"),
        "document": ("pk", "file_hash", "title"),
    }

    def __init__(self, bundle, kinds):
        self.sizes = {}  # path -> declared size
        for path in kinds:
            with contextlib.suppress(BundleInvalid, OSError):  # reading it reports why
                self.sizes[path] = bundle.size(path)
        self.by_hash = {"image": {}, "document": {}}
        for kind in self.by_hash:
            named = [path for path, named_kind in kinds.items() if named_kind == kind]
            sizes = sorted({self.sizes[path] for path in named if path in self.sizes})
            model = self.MODELS[kind]()
            for start in range(0, len(sizes), SIZES_CHUNK):
                chunk = sizes[start : start + SIZES_CHUNK]
                # An item saved before sizes were recorded has none: it may match any file.
                items = model.objects.filter(Q(file_size__in=chunk) | Q(file_size=None))
                for item in self.rows(kind, items.exclude(file_hash="").order_by("pk")):
                    self.by_hash[kind].setdefault(item.file_hash, item)

    def rows(self, kind, items):
        return [LibraryItem(*row) for row in items.values_list(*self.FIELDS[kind])]

    def item(self, kind, sha1, path, size):
        """The library item holding this content, or None."""
        if sha1 in self.by_hash[kind] or self.sizes.get(path) == size:
            return self.by_hash[kind].get(sha1)
        items = self.MODELS[kind]().objects.filter(file_hash=sha1)
        found = self.rows(kind, items.order_by("pk")[:1])
        return found[0] if found else None
