"""Admin views for near-duplicate images: the upload warnings and the merge.

The upload warnings extend Wagtail's own duplicate checks (`find_image_duplicates`,
byte-identical files only) of the multiple upload and of the image chooser's Upload tab to
near-duplicates: the same answers (`duplicate: true` with a confirmation box; the chooser's
`duplicate_found` step) that Wagtail's scripts already handle with "keep the new image" and
"use the existing one, delete the new", so no script of ours is needed. The new image's
perceptual hash is made here, from the uploaded bytes (a small draft decode), so the editor
is told at once rather than after the rendition task.
"""

from django.http import HttpResponseForbidden
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from wagtail.admin import messages
from wagtail.admin.modal_workflow import render_modal_workflow
from wagtail.images import get_image_model
from wagtail.images.views import chooser, multiple

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
        value = hash_of_upload(form.cleaned_data["file"])
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


class ChooserUploadView(chooser.ImageUploadView):
    """The image chooser's Upload tab (in the page editor), which also says when the new
    image looks like one in the library, with Wagtail's own "duplicate found" step: "use the
    existing image" chooses it for the page and deletes the upload."""

    near = ()

    def save_form(self, form):
        value = hash_of_upload(form.cleaned_data["file"])
        image = super().save_form(form)
        if value:
            save_perceptual_hash(image, value)
            choosable = self.permission_policy.instances_user_has_permission_for(
                self.request.user, "choose"
            )
            self.near = near_duplicates(image, queryset=choosable)
        return image

    # Wagtail's view has already answered a byte-identical upload when it calls these two.

    def render_select_format_response(self, image, form):
        if self.near:
            return self.render_near_duplicate_response(image)
        return super().render_select_format_response(image, form)

    def get_chosen_response(self, image):
        if self.near:
            return self.render_near_duplicate_response(image)
        return super().get_chosen_response(image)

    def render_near_duplicate_response(self, new_image):
        """As Wagtail's `render_duplicate_found_response`, with our message."""
        existing = self.near[0].image
        step = (
            "wagtailimages_chooser:select_format"
            if self.request.GET.get("select_format")
            else "wagtailimages_chooser:chosen"
        )
        use_existing = self.append_preserved_url_parameters(reverse(step, args=(existing.pk,)))
        delete_new = reverse("wagtailimages:delete", args=(new_image.pk,))
        html = render_to_string(
            "media/chooser_near_duplicate_upload.html",
            {
                "new_image": new_image,
                "near": self.near[0],
                "confirm_duplicate_upload_action": self.append_preserved_url_parameters(
                    reverse(step, args=(new_image.pk,))
                ),
                "cancel_duplicate_upload_action": f"{delete_new}?"
                + urlencode({"next": use_existing}),
            },
            self.request,
        )
        return render_modal_workflow(
            self.request,
            None,
            None,
            None,
            json_data={"step": "duplicate_found", "htmlFragment": html},
        )


def hash_of_upload(upload):
    """The perceptual hash of an uploaded file, or "" (the rendition task makes it later).
    Read before the image is saved: the storage may move a large upload's temporary file."""
    upload.seek(0)
    try:
        return hash_of_file(upload.read())
    except Exception:  # noqa: BLE001 - a file Pillow cannot draft
        return ""
    finally:
        upload.seek(0)


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
