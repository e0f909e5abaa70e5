"""Applying a plan: everything it says, or nothing.

    apply_plan(plan, bundle, progress=None, renditions=False) -> ImportReport

One transaction whose files are removed if it rolls back (cms.media.transaction.atomic):

1. Check the site still is what the plan read (planner.Snapshot), with the rows locked where
   the database can: a product edited, published, unpublished or locked since, a SKU added
   since, a reused library item deleted or the catalogue page gone makes the writer refuse,
   naming what moved, before it writes anything.
2. Add the new media through cms/media/library.py, each file read once more: its bytes must
   still hash to what the plan checked, and are stored as they are.
3. Write the new products in bulk (bulk_pages.py: the rows Wagtail's path would write), then
   set each existing product's content, tags and links and save a revision through Wagtail
   (publishing, or unpublishing), calling `progress(done, total)` for each product.

New images queue their renditions for after the commit (cms/media/models.py); none is made
inside the transaction. With `renditions`, they are also made here, after the commit.
"""

import posixpath

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import slugify
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, Page, Site

from cms.index_batch import batched_index_updates
from cms.media import transaction as media_transaction
from cms.media.crops import focal_point_value
from cms.media.library import add_document, add_image, content_hash, items_with_content
from cms.media.metadata import read_metadata
from cms.media.tasks import make_renditions
from cms.media.validation import read_limit
from products.catalogue.bulk_pages import NewPage, add_page_rows, finish_pages, specific_page
from products.catalogue.memory import existing_objects_frozen
from products.catalogue.planner import IMPORT_COLLECTION, NewItem, find_import_collection
from products.catalogue.problems import Problem, Problems
from products.models import ProductCategory, ProductIndexPage, ProductPage, ProductRelatedProduct
from products.signal_handlers import purges_batched

CHECK_CHUNK = 500  # rows checked against the snapshot per query
BULK_CHUNK = 100  # new products written together (bulk_pages.py)


class Refused(Exception):
    """The plan cannot be applied; `problems` say why. Nothing was written."""

    def __init__(self, problems):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class Interrupted(Exception):
    """`progress` raised: the import rolls back and the caller's exception propagates."""


def apply_plan(plan, bundle, *, progress=None, renditions=False):
    """Apply `plan` (planner.make_plan) with the bundle it was made from, still open.

    Returns the report: the plan's, or with errors (nothing written) when the plan has
    errors, the site moved since it was made, or writing failed. An exception raised by
    `progress` rolls everything back (files too) and propagates.
    """
    report = plan.report.copy(dry_run=False)
    if not plan.ok:
        return report
    writer = Writer(plan, bundle, report)
    try:
        # Index updates and edge-cache purges are queued once, in bulk, after the commit.
        with (
            existing_objects_frozen(),
            media_transaction.atomic(),
            batched_index_updates(),
            purges_batched(),
        ):
            writer.check_snapshot()
            writer.add_media()
            writer.write_products(progress)
    except Interrupted as stop:
        raise stop.__cause__ from None
    except Refused as refusal:
        report.errors.extend(refusal.problems)
    except Exception as error:  # noqa: BLE001 - reported; the transaction rolled back
        report.errors.add(
            "import",
            f"the import failed while writing and was rolled back, nothing was kept: {error}",
        )
    report.ok = not report.errors
    if report.ok and renditions:
        writer.make_renditions()
    return report


class Writer:
    def __init__(self, plan, bundle, report):
        self.plan = plan
        self.bundle = bundle
        self.report = report
        self.user = plan.user
        self.item_ids = {}  # NewItem -> the id of the library item added for it
        self.created_images = []

    # 1. The site is still as planned

    def check_snapshot(self):
        problems = Problems()
        snapshot = self.plan.snapshot
        if snapshot.parent_id is not None:
            if not Page.objects.select_for_update().filter(pk=snapshot.parent_id).exists():
                problems.add("--parent", "the catalogue page was deleted after the plan was made")
        elif ProductIndexPage.objects.exists():
            problems.add(
                "--parent",
                "a catalogue page was added after the plan was made: plan again to choose it",
            )
        self.check_pages(problems)
        self.check_new_skus(problems)
        self.check_library(problems)
        if problems:
            raise Refused(problems)

    def check_pages(self, problems):
        planned = self.plan.snapshot.pages
        now = {}
        ids = list(planned)
        for start in range(0, len(ids), CHECK_CHUNK):
            rows = Page.objects.select_for_update().filter(pk__in=ids[start : start + CHECK_CHUNK])
            for pk, *state in rows.values_list(
                "pk", "latest_revision_id", "live", "last_published_at", "locked", "title"
            ):
                now[pk] = state
        for product in self.plan.products:
            if product.page_id is None:
                continue
            before, state = planned.get(product.page_id), now.get(product.page_id)
            if state is None:
                problems.add(
                    product.sku_place,
                    f"the product “{product.title}” (SKU {product.sku}) was deleted after the "
                    "import was planned: plan again",
                )
            elif before is None or tuple(state[:4]) != (
                before.latest_revision_id,
                before.live,
                before.last_published_at,
                before.locked,
            ):
                problems.add(
                    product.sku_place,
                    f"the product “{state[4]}” (SKU {product.sku}) was changed after the import "
                    "was planned; nothing was written, so the change is kept: plan again",
                )

    def check_new_skus(self, problems):
        new = {p.sku: p for p in self.plan.products if p.action == "create"}
        skus = list(new)
        for start in range(0, len(skus), CHECK_CHUNK):
            found = ProductPage.objects.filter(sku__in=skus[start : start + CHECK_CHUNK])
            for sku, title in found.values_list("sku", "title"):
                problems.add(
                    new[sku].sku_place,
                    f"the product “{title}” (SKU {sku}) was added to the site after the import "
                    "was planned: plan again",
                )

    def check_library(self, problems):
        planned = self.plan.snapshot.library
        models = {"image": get_image_model(), "document": get_document_model()}
        for kind, model in models.items():
            ids = [pk for (item_kind, pk) in planned if item_kind == kind]
            now = {}
            for start in range(0, len(ids), CHECK_CHUNK):
                rows = model.objects.select_for_update().filter(
                    pk__in=ids[start : start + CHECK_CHUNK]
                )
                now.update(rows.values_list("pk", "file_hash"))
            reused = [m for m in self.plan.media if m.kind == kind and m.item_id is not None]
            for item in reused:
                if now.get(item.item_id) != planned[(kind, item.item_id)]:
                    problems.add(
                        item.where,
                        f"{item.paths[0]}: the library {kind} {item.item_id} the plan reuses "
                        "was deleted or replaced after the import was planned: plan again",
                    )

    # 2. Media

    def add_media(self):
        new = [item for item in self.plan.media if item.item_id is None]
        if not new:
            return
        collection = find_import_collection() or Collection.get_first_root_node().add_child(
            name=IMPORT_COLLECTION
        )
        models = {"image": get_image_model(), "document": get_document_model()}
        # Added to the library since the plan was made, looked up for all files at once.
        found = {
            kind: items_with_content(model, [i.sha1 for i in new if i.kind == kind])
            for kind, model in models.items()
        }
        for item in new:
            data = self.bundle.read(item.paths[0], read_limit(item.kind))
            if content_hash(data) != item.sha1:
                message = f"{item.paths[0]}: the file changed after the import was planned"
                raise Refused(Problems([Problem(item.where, message)]))
            name = posixpath.basename(item.paths[0])
            # The plan checked these very bytes (same SHA-1) as an upload would be checked.
            if item.sha1 in found[item.kind]:
                stored, created = found[item.kind][item.sha1], False
            elif item.kind == "image":
                stored, created = add_image(
                    data,
                    name,
                    title=item.title,
                    description=item.alt,
                    credit=credit_of(item, data, name),
                    rights=rights_of(item),
                    collection=collection,
                    user=self.user,
                    checked=True,
                    looked_up=True,
                )
                if created:
                    self.created_images.append(stored.pk)
            else:
                stored, created = add_document(
                    data,
                    name,
                    title=item.title,
                    collection=collection,
                    user=self.user,
                    checked=True,
                    looked_up=True,
                )
            if not created:  # added to the library meanwhile: reused, as the format says
                bucket = self.report.images if item.kind == "image" else self.report.documents
                bucket["created"] -= 1
                bucket["reused"] += 1
            self.item_ids[NewItem(item.kind, item.sha1)] = stored.pk

    def resolve(self, value):
        """Page data with every NewItem replaced by its library item's id."""
        if isinstance(value, NewItem):
            return self.item_ids[value]
        if isinstance(value, list | tuple):
            return [self.resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        return value

    # 3. Products

    def write_products(self, progress):
        parent = (
            Page.objects.get(pk=self.plan.snapshot.parent_id).specific
            if self.plan.snapshot.parent_id
            else self.create_catalogue()
        )
        categories = self.categories()
        todo = [product for product in self.plan.products if product.action != "unchanged"]
        page_ids = {p.sku: p.page_id for p in self.plan.products if p.page_id is not None}
        new = [product for product in todo if product.action == "create"]
        related = {sku for product in todo for sku in product.related} - set(page_ids)
        related -= {product.sku for product in new}
        page_ids.update(ProductPage.objects.filter(sku__in=related).values_list("sku", "pk"))
        done = 0

        def written(count):
            nonlocal done
            for _ in range(count):
                done += 1
                if progress:
                    try:
                        progress(done, len(todo))
                    except BaseException as error:
                        raise Interrupted from error

        # New products: every tree row first (related links may point at any of them), then
        # the rest of their rows in bulk, a chunk at a time (bulk_pages.py).
        if new:
            created_at = timezone.now()
            rows = add_page_rows(parent, ProductPage, [(p.title, p.slug) for p in new], self.user)
            page_ids.update((product.sku, row.pk) for product, row in zip(new, rows, strict=True))
            for start in range(0, len(new), BULK_CHUNK):
                chunk = zip(
                    new[start : start + BULK_CHUNK], rows[start : start + BULK_CHUNK], strict=True
                )
                pages = [
                    self.new_page(product, row, categories, page_ids, created_at)
                    for product, row in chunk
                ]
                finish_pages(pages, self.user)
                written(len(pages))
        # Products on the site already: Wagtail's own path, one page in memory at a time.
        for product in todo:
            if product.action != "create":
                page = ProductPage.objects.get(pk=page_ids[product.sku])
                self.set_content(page, product, categories)
                publish(page, product, page_ids, self.user)
                written(1)

    def create_catalogue(self):
        site = Site.objects.get(is_default_site=True)
        index = ProductIndexPage(title="Products", slug="products")
        site.root_page.add_child(instance=index)
        index.save_revision(user=self.user).publish(user=self.user)
        return index

    def categories(self):
        """Name (case-folded) -> category, creating those the manifest names for the first
        time."""
        wanted = {product.category for product in self.plan.products if product.category}
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

    def fields(self, product, categories):
        return {
            "title": product.title,
            "draft_title": product.title,
            "slug": product.slug,
            "summary": product.summary,
            "price": product.price,
            "category": categories[product.category.casefold()] if product.category else None,
            "hero_image_id": self.resolve(product.hero_image),
            "hero_alt": product.hero_alt,
            "hero_focal_point": focal_point_value(product.hero_focal_point),
            "body": self.resolve(product.body),
        }

    def new_page(self, product, row, categories, page_ids, created_at):
        """The product page on its new tree row, its content, tags and links in memory."""
        page = specific_page(row, ProductPage, sku=product.sku, **self.fields(product, categories))
        clean_body(page, product)
        page.tags.set(product.tags)
        page.related_products = links = related_links(product, page_ids)
        return NewPage(page, live=product.live, links=links, created_at=created_at)

    def set_content(self, page, product, categories):
        for name, value in self.fields(product, categories).items():
            setattr(page, name, value)
        clean_body(page, product)
        page.tags.set(product.tags)

    def make_renditions(self):
        for image in get_image_model().objects.filter(pk__in=self.created_images):
            try:
                make_renditions(image)
            except Exception as error:  # noqa: BLE001 - the import itself has succeeded
                self.report.warnings.add(
                    image.file.name,
                    f"renditions not made now ({error}); the queued task or the first "
                    "visitor makes them",
                )


def rights_of(item):
    """The format 1.1 library details of a new image, as add_image takes them."""
    return {
        "focal_point": item.focal_point,
        "licence": item.licence,
        "source": item.source,
        "expires": item.expires,
    }


def clean_body(page, product):
    # Page saves skip StreamField validation; run it, as the editor's form would.
    try:
        ProductPage.body.field.stream_block.clean(page.body)
    except ValidationError as error:
        message = "; ".join(error.messages)
        raise Refused(Problems([Problem(f"{product.where}.body", message)])) from error


def publish(page, product, page_ids, user):
    """Link the related products, then save a revision: published, or (live: false) with
    the page unpublished first, its row holding the latest content too."""
    page.related_products = related_links(product, page_ids)
    if product.live:
        # Already validated: skip the revision's second full_clean().
        revision = page.save_revision(user=user, clean=False)
        # Wagtail's publish rebuilds the page from the revision it was just saved as (as_object:
        # the page, its tags and links read again and rebuilt from JSON, a dozen queries); it
        # would rebuild this very page, so it is handed over instead.
        revision.as_object = lambda: page
        page.publish(revision, user=user)
    else:
        if page.live:
            page.unpublish(user=user)
        page.save()  # a page that is not public keeps its latest content in its row too
        page.save_revision(user=user, clean=False)


def related_links(product, page_ids):
    return [
        ProductRelatedProduct(product_id=page_ids[sku], sort_order=n)
        for n, sku in enumerate(product.related)
    ]


def credit_of(item, data, name):
    """A new image's credit: the manifest's, else the one its XMP/IPTC/EXIF give. Title and
    alt text stay as the format's rules fix them (docs/media-pipeline.md)."""
    if item.credit is not None:
        return item.credit
    return read_metadata(data, name).credit()
