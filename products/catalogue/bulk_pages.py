"""New pages in bulk: the rows Wagtail's own path (add_child, save_revision, publish) writes,
the rows themselves in a few queries per hundred pages (an imported product: 62 fewer).

    rows = add_page_rows(parent, model, [(title, slug), ...], user)   # tree rows, in order
    finish_pages(pages, user)   # the specific rows, tags, links, revisions, state, history

Why around Wagtail: its path saves each page three times (add_child, save_revision, publish),
validating every foreign key, the slug and the site root on each, and writes the tree, the
revision, the audit log and the aliases one row at a time; for pages new to the site none of
that can find anything, so the same rows are computed here and inserted together. What is
stored is what that path stores (tests/products/test_import_cost.py compares every column),
and what listens to it is told as it would be: `post_save` for every page (the search and
reference index batch, cms/index_batch.py), `page_published` and `published` for each live
one (the edge-cache purge and the in-transaction reference index, cms/media/references.py).
"""

import logging
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import CharField, F, OuterRef, Subquery
from django.db.models.functions import Cast
from django.db.models.signals import post_save
from django.utils import timezone
from wagtail.log_actions import get_active_log_context
from wagtail.models import Page, PageLogEntry, Revision
from wagtail.signals import page_published, published

from cms.media.references import published_pages_indexed_together

logger = logging.getLogger("wagtail")  # the lines Wagtail's path logs for each page


@dataclass
class NewPage:
    """A specific page whose tree row exists (add_page_rows), with what finish_pages writes:
    its tags and related links are set in memory (cluster relations), not saved yet."""

    page: Page
    live: bool
    links: list = field(default_factory=list)  # child rows saved with the page (Orderables)
    created_at: object = None  # when its tree row was inserted (the `wagtail.create` entry)


def add_page_rows(parent, model, titles, user):
    """Insert the tree rows (`wagtailcore_page`) of new pages of `model` as the last children
    of `parent`, in order, as `parent.add_child()` would: not live, no revision, owned by
    `user`, in the parent's locale. `titles` are (title, slug) pairs whose slugs are free
    under the parent (checked again here: the parent is locked). Returns the saved rows."""
    given = parent
    parent = Page.objects.select_for_update().get(pk=parent.pk)  # as treebeard's add_child
    slugs = Counter(slug for _, slug in titles)
    taken = set(parent.get_children().filter(slug__in=slugs).values_list("slug", flat=True))
    taken |= {slug for slug, count in slugs.items() if count > 1}
    if taken:
        raise ValidationError(
            f"The slug '{sorted(taken)[0]}' is already in use within the parent page at "
            f"'{parent.url_path}'."
        )
    last = parent.get_last_child() if parent.numchild else None
    step = last._get_lastpos_in_path() if last else 0
    depth = parent.depth + 1
    content_type = ContentType.objects.get_for_model(model)
    rows = []
    for title, slug in titles:
        step += 1
        path = Page._get_path(parent.path, depth, step)
        if len(path) != len(parent.path) + Page.steplen:
            raise ValidationError(f"No room left under the page at '{parent.url_path}'.")
        row = Page(
            title=title,
            draft_title=title,
            slug=slug,
            content_type=content_type,
            path=path,
            depth=depth,
            numchild=0,
            url_path=f"{parent.url_path}{slug}/",
            owner=user,
            live=False,
            locale_id=parent.locale_id,
        )
        rows.append(row)
    Page.objects.bulk_create(rows)
    Page.objects.filter(pk=parent.pk).update(numchild=F("numchild") + len(rows))
    given.numchild = parent.numchild + len(rows)
    for row in rows:
        logger.info(
            'Page created: "%s" id=%d content_type=%s.%s path=%s',
            row.title,
            row.pk,
            model._meta.app_label,
            model.__name__,
            row.url_path,
        )
    return rows


def specific_page(row, model, **values):
    """The specific page (unsaved fields in `values`) on the tree row `row` just inserted."""
    base = {f.attname: getattr(row, f.attname) for f in Page._meta.concrete_fields}
    page = model(**{**base, **values})
    page.page_ptr_id = row.pk
    page._state.adding, page._state.db = False, row._state.db
    return page


def finish_pages(new_pages, user):
    """Write everything else Wagtail's path writes for pages created by add_page_rows: the
    specific rows, tag and link rows, one revision each (published for `live` ones, the
    latest draft for the others), the `wagtail.create` and `wagtail.publish` log entries,
    and the signals. Pages must all be of one model."""
    if not new_pages:
        return
    model = type(new_pages[0].page)
    pages = [new.page for new in new_pages]
    insert_specific_rows(model, pages)
    for page in pages:  # a new page has no comments: none to read from the database
        page.wagtail_admin_comments = []
    # Tags and links are saved with the page, before its revision, as when an editor
    # creates a page in the admin: the revision holds their ids.
    bulk_create([item for page in pages for item in page.tagged_items.all()])
    bulk_create([link for new in new_pages for link in new.links])
    revisions = save_revisions(pages, user)
    set_state(new_pages, revisions)
    write_history(new_pages, revisions, user)
    with published_pages_indexed_together():
        announce(new_pages, revisions)


def announce(new_pages, revisions):
    """The signals Wagtail's path sends, and the lines it logs."""
    model = type(new_pages[0].page)
    for new, revision in zip(new_pages, revisions, strict=True):
        post_save.send(model, instance=new.page, created=True, update_fields=None, raw=False)
        if new.live:
            page_published.send(sender=model, instance=new.page, revision=revision)
            published.send(sender=model, instance=new.page, revision=revision)
            logger.info('Published: "%s" pk=%s revision_id=%d', new.page, new.page.pk, revision.pk)


def set_state(new_pages, revisions):
    """What save_revision() and publish() leave on the page: its revision, published or the
    latest draft. One UPDATE per state, each page's revision read back through the index
    Wagtail reads it with (bulk_update's CASE per row is slower than all the rest)."""
    now = timezone.now()
    for new, revision in zip(new_pages, revisions, strict=True):
        page = new.page
        page.latest_revision = revision
        page.latest_revision_created_at = revision.created_at
        if new.live:
            page.live, page.has_unpublished_changes = True, False
            page.first_published_at = page.last_published_at = now
            page.live_revision = revision
        else:
            page.has_unpublished_changes = True
    revision = Subquery(
        Revision.objects.filter(
            base_content_type=ContentType.objects.get_for_model(Page),
            object_id=Cast(OuterRef("pk"), CharField()),
        ).values("pk")[:1]
    )
    for live in (True, False):
        pages = [new.page for new in new_pages if new.live == live]
        if not pages:
            continue
        state = {
            "latest_revision_id": revision,
            "latest_revision_created_at": pages[0].latest_revision_created_at,
            "has_unpublished_changes": pages[0].has_unpublished_changes,
        }
        if live:
            state |= {"live": True, "live_revision_id": revision}
            state |= {"first_published_at": now, "last_published_at": now}
        Page.objects.filter(pk__in=[page.pk for page in pages]).update(**state)


def insert_specific_rows(model, pages):
    # Django's bulk_create refuses models with a parent table; the parent rows exist, so the
    # child table's rows are inserted the way bulk_create inserts a plain model's.
    fields = [f for f in model._meta.local_concrete_fields]
    size = connection.ops.bulk_batch_size(fields, pages) or len(pages)
    for start in range(0, len(pages), size):
        model._base_manager._insert(pages[start : start + size], fields=fields)


def bulk_create(objects):
    """Insert objects of one model (none: nothing)."""
    if objects:
        type(objects[0]).objects.bulk_create(objects)


def save_revisions(pages, user):
    """One revision per page with the content `save_revision()` stores: the page as it is
    before its publish."""
    now = timezone.now()
    base_content_type = ContentType.objects.get_for_model(Page)
    revisions = [
        Revision(
            content_type=ContentType.objects.get_for_model(page, for_concrete_model=False),
            base_content_type=base_content_type,
            object_id=str(page.pk),
            created_at=now,
            user=user,
            content=page.serializable_data(),
            object_str=str(page),
        )
        for page in pages
    ]
    Revision.objects.bulk_create(revisions)
    for page, revision in zip(pages, revisions, strict=True):
        logger.info('Page edited: "%s" id=%d revision_id=%d', page.title, page.pk, revision.pk)
    return revisions


def write_history(new_pages, revisions, user):
    """The log entries Wagtail's path writes: `wagtail.create` (by the owner unless a user
    is given), then `wagtail.publish` for a published page, with the page's admin title."""
    context = get_active_log_context()
    published_at = timezone.now()
    entries = []
    for new, revision in zip(new_pages, revisions, strict=True):
        page = new.page
        common = {
            "page_id": page.pk,
            "content_type": ContentType.objects.get_for_model(page, for_concrete_model=False),
            "label": PageLogEntry.objects.get_instance_title(page),
            "data": {},
            "uuid": context.uuid,
            "content_changed": True,
        }
        entries.append(
            PageLogEntry(
                **common,
                action="wagtail.create",
                timestamp=new.created_at,
                user=user or page.owner or context.user,
            )
        )
        if new.live:
            entries.append(
                PageLogEntry(
                    **common,
                    action="wagtail.publish",
                    timestamp=published_at,
                    user=user or context.user,
                    revision=revision,
                )
            )
    PageLogEntry.objects.bulk_create(entries)
