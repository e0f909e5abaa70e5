"""Who may change or delete an image or document that a live page shows.

Wagtail lets anyone with "add" permission on a collection change and delete what they
uploaded there. A live page's content passes moderation, but its media would not: an Editor
could replace the file or alt text of an image a Moderator published, and the live page would
change with no review. So media used by a live page may be changed or deleted only by someone
who may publish every such page (`may_change_media`).

The rule sits in the permission policy Wagtail consults for every instance check (edit,
delete, multiple-upload edit, bulk delete, bulk move to a collection, bulk tags, usage, URL
generator), registered for the image and document models in cms/media/wagtail_hooks.py. It
reads Wagtail's reference index, which cms/media/references.py brings up to date in the
transaction that publishes a page, not later in the task worker.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import ManyToOneRel
from wagtail.models import Page, ReferenceIndex
from wagtail.permission_policies.collections import (
    CollectionOwnershipPermissionPolicy,
    CollectionPermissionPolicy,
)

# The instance actions that alter what a page shows (Wagtail treats "delete" as "change").
CHANGING_ACTIONS = frozenset({"change", "delete"})


def live_pages_using(obj):
    """Live pages that use an image or document, in tree order."""
    page_content_type = ContentType.objects.get_for_model(Page)
    page_ids = {
        int(object_id)
        for object_id in ReferenceIndex.get_references_to(obj)
        .filter(base_content_type=page_content_type)
        .values_list("object_id", flat=True)
    }
    # A publish updates the page's index rows at once (cms/media/references.py); foreign keys
    # from page models (heroes) are read directly too, for a page made live from code without
    # a publish, whose rows wait for the task worker.
    # get_fields(include_hidden=True): heroes' keys have related_name="+", which
    # _meta.related_objects leaves out; a reverse foreign key is a ManyToOneRel.
    for relation in type(obj)._meta.get_fields(include_hidden=True):
        if isinstance(relation, ManyToOneRel) and issubclass(relation.related_model, Page):
            page_ids.update(
                relation.related_model.objects.filter(**{relation.field.name: obj}).values_list(
                    "pk", flat=True
                )
            )
    if not page_ids:
        return []
    return list(Page.objects.filter(pk__in=page_ids, live=True).order_by("path"))


def pages_blocking_change(user, obj):
    """The live pages using `obj` that `user` may not publish: while there are any, the user
    may not change or delete `obj`."""
    if user.is_active and user.is_superuser:
        return []
    return [
        page for page in live_pages_using(obj) if not page.permissions_for_user(user).can_publish()
    ]


def may_change_media(user, obj):
    """Whether `user` may change (file, alt text, title, focal point, collection, tags) or
    delete the image or document `obj`, as far as the live pages using it go."""
    return not pages_blocking_change(user, obj)


def refusal_message(obj, pages):
    """What a user is told when `pages` keep them from changing `obj`."""
    kind = obj._meta.verbose_name
    titles = ", ".join(f"“{page.get_admin_display_title()}”" for page in pages)
    return (
        f"The {kind} “{obj.title}” is used on live pages that you may not publish: {titles}. "
        f"Only someone who may publish them can change or delete it; ask a moderator."
    )


def may_merge_images(user, images):
    """Whether `user` may merge these images (cms/media/merge.py), which deletes all but one
    and changes every page using them: only with the collection permission to delete each
    (Moderators, superusers; not an Editor's ownership of an upload) and the right to publish
    every live page using it."""
    collections_only = CollectionPermissionPolicy(
        type(images[0]), auth_model="wagtailimages.Image"
    )
    return all(
        collections_only.user_has_permission_for_instance(user, "delete", image)
        and may_change_media(user, image)
        for image in images
    )


class MediaPermissionPolicy(CollectionOwnershipPermissionPolicy):
    """Wagtail's collection-and-ownership policy, except that changing or deleting media used
    by a live page also needs the right to publish that page."""

    def ownership_allows(self, user, action, instance):
        """Wagtail's own answer, before the live-page rule."""
        return super().user_has_any_permission_for_instance(user, [action], instance)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        changing = [action for action in actions if action in CHANGING_ACTIONS]
        others = [action for action in actions if action not in CHANGING_ACTIONS]
        if others and super().user_has_any_permission_for_instance(user, others, instance):
            return True
        return bool(
            changing
            and super().user_has_any_permission_for_instance(user, changing, instance)
            and may_change_media(user, instance)
        )


class ImagePermissionPolicy(MediaPermissionPolicy):
    """Images: as all media, and document previews (cms/media/previews.py) are left out of
    every list Wagtail builds from the policy (the image listing, the chooser, bulk actions):
    they belong to their documents, and no editor should pick or edit one."""

    def instances_user_has_any_permission_for(self, user, actions):
        instances = super().instances_user_has_any_permission_for(user, actions)
        return instances.filter(document_preview=False)

    def instances_user_has_permission_for(self, user, action):
        return self.instances_user_has_any_permission_for(user, [action])


def image_permission_policy(image_model):
    """The policy for the image model, configured as Wagtail configures its own."""
    return ImagePermissionPolicy(
        image_model, auth_model="wagtailimages.Image", owner_field_name="uploaded_by_user"
    )


def document_permission_policy(document_model):
    """The policy for the document model, configured as Wagtail configures its own."""
    return MediaPermissionPolicy(
        document_model, auth_model="wagtaildocs.Document", owner_field_name="uploaded_by_user"
    )
