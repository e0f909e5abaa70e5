from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import AdminOnlyMenuItem
from wagtail.documents import get_document_model
from wagtail.documents.views import documents
from wagtail.images import get_image_model
from wagtail.images.views import images
from wagtail.images.views.chooser import viewset as image_chooser_viewset
from wagtail.permissions import register_permission_policy

from cms.media import document_versions, duplicate_views
from cms.media.crop_views import crop_preview
from cms.media.expiry_panel import ImageExpiryPanel, sees_expiry_notices
from cms.media.permissions import document_permission_policy, image_permission_policy
from cms.media.views import explain_media_in_use, media_health

# Media used by a live page is changed only by those who may publish it. exact_class: ours
# wins over the policy wagtail.images and wagtail.documents register for the same models.
register_permission_policy(
    get_image_model(), image_permission_policy(get_image_model()), exact_class=True
)
register_permission_policy(
    get_document_model(), document_permission_policy(get_document_model()), exact_class=True
)


@hooks.register("register_admin_urls")
def register_crop_preview_url():
    return [path("media/crop-preview/<int:image_id>/", crop_preview, name="media_crop_preview")]


@hooks.register("register_admin_urls")
def register_media_health_url():
    return [path("reports/media-health/", media_health, name="media_health")]


@hooks.register("register_admin_urls")
def register_document_versions_urls():
    return [
        path(
            "documents/<int:document_id>/versions/",
            document_versions.versions,
            name="media_document_versions",
        ),
        path(
            "documents/<int:document_id>/versions/<int:version_id>/restore/",
            document_versions.restore,
            name="media_document_restore",
        ),
    ]


@hooks.register("register_admin_urls", order=-1)
def register_near_duplicate_urls():
    """The multiple upload and the chooser's upload that also warn of near-duplicates, at
    Wagtail's own paths (these come first, so they answer), and the merge of near-duplicates."""
    return [
        path(
            "images/multiple/add/",
            duplicate_views.AddImagesView.as_view(),
            name="media_add_multiple_images",
        ),
        path(
            "images/chooser/create/",
            image_chooser_viewset.construct_view(duplicate_views.ChooserUploadView),
            name="media_image_chooser_upload",
        ),
        path("media/merge-images/", duplicate_views.merge_images, name="media_merge_images"),
    ]


@hooks.register("register_admin_urls", order=-1)
def explain_refusals_of_media_in_use():
    """Wagtail's own edit and delete views of images and documents, at their own paths (these
    come first, so they answer), wrapped to name the live pages that keep a user out."""
    image, document = get_image_model(), get_document_model()
    wrap = explain_media_in_use
    return [
        path(
            "images/<int:image_id>/",
            wrap(images.EditView.as_view(), image, "change", "image_id", "wagtailimages:index"),
            name="media_image_edit",
        ),
        path(
            "images/<int:image_id>/delete/",
            wrap(images.DeleteView.as_view(), image, "delete", "image_id", "wagtailimages:index"),
            name="media_image_delete",
        ),
        path(
            "documents/edit/<int:document_id>/",
            wrap(
                documents.EditView.as_view(),
                document,
                "change",
                "document_id",
                "wagtaildocs:index",
            ),
            name="media_document_edit",
        ),
        path(
            "documents/delete/<int:document_id>/",
            wrap(
                documents.DeleteView.as_view(),
                document,
                "delete",
                "document_id",
                "wagtaildocs:index",
            ),
            name="media_document_delete",
        ),
    ]


@hooks.register("register_reports_menu_item")
def register_media_health_menu_item():
    return AdminOnlyMenuItem(
        "Media health",
        reverse("media_health"),
        name="media-health",
        icon_name="image",
        order=900,
    )


@hooks.register("construct_homepage_panels")
def add_image_expiry_panel(request, panels):
    if sees_expiry_notices(request.user):
        panels.append(ImageExpiryPanel())
