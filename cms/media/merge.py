"""Merging near-duplicate images: one is kept, every use of the others points at it, and the
others are deleted.

    plan_merge(keep, others) -> MergePlan   what would change (the confirmation page shows it)
    apply_merge(plan, user)                 all of it in one transaction, or nothing

Uses are found through Wagtail's reference index (what saved rows use), the foreign keys to
images read directly (a row saved from code before its index task ran), and the latest
draft of every page with unpublished changes (the index does not see drafts). A page is
changed the way an editor changes it: its live version is saved as a revision and published,
then its draft, if it had one, is saved again as the latest revision with the same images
swapped, so neither the live page nor the editor's unpublished work loses anything. Only the
image ids change: per-use alt text, decorative flags and captions stay as they were; a use's
own crop is moved onto the kept image (the same part of the picture, at its size).

The others' renditions go as in a file replacement (cms/media/replaced.py): rows deleted,
files kept for the grace period for pages still cached. After the commit the kept image's
renditions are made and the changed pages refreshed in the edge cache
(`generate_renditions(keep, refresh_pages=True)`).
"""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import ManyToOneRel
from wagtail import blocks
from wagtail.blocks import StreamValue
from wagtail.fields import StreamField
from wagtail.images import get_image_model
from wagtail.models import Page, ReferenceIndex

from cms.media.crops import scaled_focal_point
from cms.media.replaced import retire_renditions
from cms.media.tasks import generate_renditions


class MergeFailed(Exception):
    """The merge could not be done; nothing was changed."""


class Retarget(dict):
    """{merged image id: kept image id}, with every image's size: a use's own crop is moved
    onto the kept image, which may be a resized copy."""

    def __init__(self, keep, others):
        super().__init__({image.pk: keep.pk for image in others})
        self.sizes = {image.pk: (image.width, image.height) for image in (keep, *others)}

    def crop(self, old_pk, value):
        return scaled_focal_point(value, self.sizes[old_pk], self.sizes[self[old_pk]])


@dataclass(frozen=True)
class MergePlan:
    keep: object  # the image kept
    others: tuple  # the images merged into it, deleted
    pages: tuple  # specific pages whose live version or draft uses one of the others
    objects: tuple  # other rows (snippets) that use one of the others

    @property
    def mapping(self):
        return Retarget(self.keep, self.others)


def rewrite_raw(block, raw, mapping):
    """Raw block data (as stored in JSON) with every image id in `mapping` replaced, walking
    the block definitions: other data (alt text, captions, crops) comes back as it was."""
    if isinstance(block, blocks.ChooserBlock):
        target = getattr(block, "target_model", None)
        if target is not None and issubclass(target, get_image_model()):
            return mapping.get(raw, raw)
        return raw
    if isinstance(block, blocks.StructBlock):
        if not isinstance(raw, dict):
            # ImageBlock reads a bare id as a plain ImageChooserBlock's value.
            return mapping.get(raw, raw) if "image" in block.child_blocks else raw
        new = {
            name: rewrite_raw(block.child_blocks[name], value, mapping)
            if name in block.child_blocks
            else value
            for name, value in raw.items()
        }
        if raw.get("focal_point") and raw.get("image") in mapping:
            new["focal_point"] = mapping.crop(raw["image"], raw["focal_point"])
        return new
    if isinstance(block, blocks.ListBlock):
        return [
            {**item, "value": rewrite_raw(block.child_block, item["value"], mapping)}
            if isinstance(item, dict) and item.get("type") == "item"
            else rewrite_raw(block.child_block, item, mapping)
            for item in raw or []
        ]
    if isinstance(block, blocks.StreamBlock):
        return [
            {
                **item,
                "value": rewrite_raw(block.child_blocks[item["type"]], item["value"], mapping),
            }
            if item.get("type") in block.child_blocks
            else item
            for item in raw or []
        ]
    return raw


def rewrite_instance(obj, mapping):
    """Point the image foreign keys and StreamField uses of `obj` (not saved) at the kept
    image; return the names of the fields changed."""
    image_model = get_image_model()
    changed = []
    for field in obj._meta.concrete_fields:
        if isinstance(field, models.ForeignKey) and issubclass(field.related_model, image_model):
            value = getattr(obj, field.attname)
            if value in mapping:
                setattr(obj, field.attname, mapping[value])
                changed.append(field.name)
                crop_field = getattr(obj, "crop_fields", {}).get(field.name)
                if crop_field and getattr(obj, crop_field):
                    setattr(obj, crop_field, mapping.crop(value, getattr(obj, crop_field)))
                    changed.append(crop_field)
        elif isinstance(field, StreamField):
            raw = field.get_prep_value(getattr(obj, field.name))
            new = rewrite_raw(field.stream_block, raw, mapping)
            if new != raw:
                setattr(obj, field.name, StreamValue(field.stream_block, new, is_lazy=True))
                changed.append(field.name)
    return changed


def plan_merge(keep, others):
    """What merging `others` into `keep` changes. Reads only."""
    others = tuple(image for image in others if image.pk != keep.pk)
    if not others:
        raise MergeFailed("Choose at least two images to merge.")
    image_model = get_image_model()
    mapping = Retarget(keep, others)
    page_type = ContentType.objects.get_for_model(Page)
    page_ids, objects = set(), set()
    references = ReferenceIndex.objects.filter(
        to_content_type=ContentType.objects.get_for_model(image_model),
        to_object_id__in=[str(pk) for pk in mapping],
    ).values_list("base_content_type_id", "content_type_id", "object_id")
    for base_type, content_type, object_id in references:
        if base_type == page_type.pk:
            page_ids.add(int(object_id))
        else:
            objects.add((content_type, object_id))
    # Foreign keys to images, hidden ones (related_name="+", as on heroes) included.
    for relation in image_model._meta.get_fields(include_hidden=True):
        if not isinstance(relation, ManyToOneRel):
            continue
        if relation.related_model is image_model.get_rendition_model():
            continue
        rows = relation.related_model.objects.filter(**{f"{relation.field.name}__in": mapping})
        if issubclass(relation.related_model, Page):
            page_ids.update(rows.values_list("pk", flat=True))
        else:
            content_type = ContentType.objects.get_for_model(relation.related_model)
            objects.update((content_type.pk, str(pk)) for pk in rows.values_list("pk", flat=True))
    drafts = Page.objects.filter(has_unpublished_changes=True, latest_revision__isnull=False)
    for page in drafts.exclude(pk__in=page_ids).select_related("latest_revision"):
        if rewrite_instance(page.latest_revision.as_object(), mapping):
            page_ids.add(page.pk)
    pages = tuple(page.specific for page in Page.objects.filter(pk__in=page_ids).order_by("path"))
    rows = tuple(
        ContentType.objects.get_for_id(content_type).get_object_for_this_type(pk=object_id)
        for content_type, object_id in sorted(objects)
    )
    return MergePlan(keep=keep, others=others, pages=pages, objects=rows)


def rewrite_page(page, mapping, user):
    """Swap the images in the live version (published again) and in the draft (saved again
    as the latest revision) of `page`."""
    page = type(page).objects.get(pk=page.pk)  # the row as it is now, in this transaction
    draft = None
    if page.has_unpublished_changes and page.latest_revision_id:
        draft = page.latest_revision.as_object()
    changed = rewrite_instance(page, mapping)
    if changed and page.live:
        page.save_revision(user=user, clean=False, log_action=True).publish(user=user)
    elif changed:
        # Not live: the row keeps what was last saved; only its image ids change.
        fields = [page._meta.get_field(name).attname for name in changed]
        type(page).objects.filter(pk=page.pk).update(**{f: getattr(page, f) for f in fields})
    if draft is not None and rewrite_instance(draft, mapping):
        draft.save_revision(user=user, clean=False, log_action=True)
    # The index as the row now is (a stale entry would otherwise fail the check below).
    ReferenceIndex.create_or_update_for_object(type(page).objects.get(pk=page.pk))


def apply_merge(plan, user):
    """Merge as `plan` says, in one transaction: a failure leaves everything as it was.
    Raises MergeFailed when an image was deleted since the plan was made or a use could not
    be rewritten."""
    image_model = get_image_model()
    mapping = plan.mapping
    with transaction.atomic():
        ids = [plan.keep.pk, *mapping]
        found = set(
            image_model.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True)
        )
        if found != set(ids):
            raise MergeFailed("An image of this merge was deleted meanwhile: choose again.")
        for page in plan.pages:
            rewrite_page(page, mapping, user)
        for obj in plan.objects:
            if rewrite_instance(obj, mapping):
                obj.save()
                ReferenceIndex.create_or_update_for_object(obj)
        left = ReferenceIndex.objects.filter(
            to_content_type=ContentType.objects.get_for_model(image_model),
            to_object_id__in=[str(pk) for pk in mapping],
        )
        if left.exists():
            where = ", ".join(sorted({str(row.describe_source_field()) for row in left[:5]}))
            raise MergeFailed(f"Some uses could not be pointed at the kept image ({where}).")
        others = list(image_model.objects.filter(pk__in=mapping))
        retire_renditions(image_model.get_rendition_model().objects.filter(image__in=others))
        for image in others:
            image.delete()
        keep = plan.keep.pk
        transaction.on_commit(lambda: generate_renditions.enqueue(keep, refresh_pages=True))
