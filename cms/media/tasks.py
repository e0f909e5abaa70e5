"""Background work of the media library (django-tasks)."""

from django_tasks import task
from wagtail.images import get_image_model

from cms.media.crops import crops_of, make_crop_renditions
from cms.media.rendition_sets import make_rendition_set
from cms.media.renditions import ahead_of_time_specs, preview_specs


def make_renditions(image):
    """Create every rendition the templates and the admin use for `image` (existing ones are
    kept), from one decode of its original (cms/media/rendition_sets.py). A document's preview
    is shown only as a thumbnail: it gets those renditions only."""
    specs = preview_specs() if image.document_preview else ahead_of_time_specs()
    return make_rendition_set(image, specs)


@task()
def generate_renditions(image_id, refresh_pages=False):
    """Renditions ahead of time: run after an image's file is saved, so that no visitor's
    request, and no editor opening the library, has to generate them. With `refresh_pages`
    (the file or focal point was replaced), the pages that show the image are refreshed in
    the edge cache once the new renditions exist (cms/media/replaced.py)."""
    image = get_image_model().objects.filter(pk=image_id).first()
    if image is not None:
        make_renditions(image)
        if refresh_pages:
            from cms.media.replaced import refresh_pages_using

            # Pages already use the image: the uses with their own focal point too
            # (cms/media/crops.py; a new image has none, and asks no more queries).
            make_crop_renditions(image, crops_of([image.pk]).get(image.pk, {}))

            refresh_pages_using(image)


@task()
def update_document_preview(document_id):
    """A document's preview, page count and text (cms/media/previews.py): run after its file
    is saved. Never raises for a bad PDF: the reason is kept for the media health report."""
    from cms.media.previews import update_preview  # it uses the models, which queue this

    update_preview(document_id)


@task()
def expire_images_task():
    """The expiry job (cms/media/expiry.py) as a task, for a scheduler that enqueues tasks
    rather than running commands."""
    from cms.media.expiry import expire_images

    return [entry.image.pk for entry in expire_images()]
