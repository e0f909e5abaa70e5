"""Admin views for near-duplicate images: the upload warning and the merge.

The upload warning extends Wagtail's own duplicate check of the multiple-upload view
(`find_image_duplicates`, byte-identical files only) to near-duplicates: the same answer
(`duplicate: true` with a confirmation box) that Wagtail's script already shows with "keep
the new image" and "delete it" buttons, so no script of ours is needed. The new image's
perceptual hash is made here, from the uploaded bytes (a small draft decode), so the editor
is told at once rather than after the rendition task.
"""

from django.http import HttpResponseForbidden
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from wagtail.admin import messages
from wagtail.images import get_image_model
from wagtail.images.views import multiple

from cms.media.duplicates import (
    hash_of_file,
    near_duplicates,
    product_counts,
    save_perceptual_hash,
)
from cms.media.merge import MergeFailed, apply_merge, plan_merge
from cms.media.permissions import may_merge_images


class AddImagesView(multiple.AddView):
    """Wagtail's multiple upload, which also says when a new image looks like one already
    in the library."""

    def save_object(self, form):
        # Read before the save: the storage may move a large upload's temporary file away.
        upload = form.cleaned_data["file"]
        upload.seek(0)
        try:
            value = hash_of_file(upload.read())
        except Exception:  # noqa: BLE001 - a file Pillow cannot draft: the rendition task hashes it
            value = ""
        upload.seek(0)
        image = super().save_object(form)
        if value:
            save_perceptual_hash(image, value)
        return image

    def get_edit_object_response_data(self):
        data = super().get_edit_object_response_data()
        if data.get("duplicate"):
            return data  # byte-identical: Wagtail's own box
        choosable = self.permission_policy.instances_user_has_permission_for(
            self.request.user, "choose"
        )
        near = near_duplicates(self.object, queryset=choosable)
        if near:
            data.update(
                duplicate=True,
                confirm_duplicate_upload=render_to_string(
                    "media/confirm_near_duplicate_upload.html",
                    {
                        "near": near[0],
                        "others": near[1:],
                        "delete_action": reverse(
                            self.delete_object_url_name, args=(self.object.id,)
                        ),
                    },
                    request=self.request,
                ),
            )
        return data


def merge_images(request):
    """Choose which of some images to keep (GET), then merge the others into it (POST)."""
    Image = get_image_model()
    data = request.POST if request.method == "POST" else request.GET
    ids = list(dict.fromkeys(int(pk) for pk in data.getlist("image") if pk.isdigit()))
    found = Image.objects.filter(pk__in=ids, document_preview=False).in_bulk()
    images = [found[pk] for pk in ids if pk in found]  # in the order given
    if len(images) < 2:
        messages.error(request, "Choose at least two images to merge.")
        return redirect("media_health")
    if not may_merge_images(request.user, images):
        # A plain 403, not PermissionDenied: Wagtail's admin turns that into a redirect.
        return HttpResponseForbidden(
            "Only Moderators and superusers may merge images, and only those who may publish "
            "every live page that uses them."
        )
    if request.method == "POST":
        keep = next((image for image in images if str(image.pk) == request.POST.get("keep")), None)
        if keep is None:
            messages.error(request, "Choose the image to keep.")
        else:
            try:
                plan = plan_merge(keep, images)
                apply_merge(plan, request.user)
            except MergeFailed as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request,
                    f"{len(plan.others)} image(s) merged into “{keep.title}”; "
                    f"{len(plan.pages)} page(s) now use it.",
                )
                return redirect("wagtailimages:edit", keep.pk)
    counts = product_counts([image.pk for image in images])
    return TemplateResponse(
        request,
        "media/merge_images.html",
        {
            "header_title": "Merge images",
            "page_title": "Merge images",
            "header_icon": "image",
            "choices": [(image, counts[image.pk]) for image in images],
        },
    )
