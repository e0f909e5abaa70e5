"""Background work of the media library (django-tasks)."""

from django_tasks import task
from wagtail.images import get_image_model

from cms.media.renditions import all_filter_specs


def make_renditions(image):
    """Create every rendition the templates use for `image` (existing ones are kept)."""
    return image.get_renditions(*all_filter_specs())


@task()
def generate_renditions(image_id):
    """Renditions ahead of time: run after an image's file is saved, so that no visitor's
    request has to generate them."""
    image = get_image_model().objects.filter(pk=image_id).first()
    if image is not None:
        make_renditions(image)
