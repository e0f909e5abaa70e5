"""The media library's health, as listed by the admin report (cms/media/views.py)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Q
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import ReferenceIndex

from cms import clock
from cms.media.validation import validate_document


def referenced_ids(model):
    """Primary keys of the rows of `model` that something (a page, a snippet) uses."""
    references = ReferenceIndex.objects.filter(
        to_content_type=ContentType.objects.get_for_model(model)
    )
    return {int(pk) for pk in references.values_list("to_object_id", flat=True)}


def unused_media():
    """Images and documents that nothing uses (Wagtail's reference index). Document previews
    are used by their documents, not by pages: they are not listed."""
    Image, Document = get_image_model(), get_document_model()
    return (
        Image.objects.filter(document_preview=False)
        .exclude(pk__in=referenced_ids(Image))
        .order_by("title"),
        Document.objects.exclude(pk__in=referenced_ids(Document)).order_by("title"),
    )


def images_missing_alt_text():
    """Images with no alt text of their own (`description`) that are used somewhere that
    shows the library alt text: a hero image, or a block use with no alt and not decorative."""
    Image = get_image_model()
    content_type = ContentType.objects.get_for_model(Image)
    candidates = {image.pk: image for image in Image.objects.filter(description="")}
    flagged = set()
    references = ReferenceIndex.objects.filter(
        to_content_type=content_type, to_object_id__in=[str(pk) for pk in candidates]
    )
    for reference in references:
        image_id = int(reference.to_object_id)
        if image_id in flagged:
            continue
        if not reference.content_path.startswith("body."):
            flagged.add(image_id)  # a hero or other field shows the library alt
            continue
        owner = reference.content_type.get_object_for_this_type(pk=reference.object_id)
        if uses_library_alt(getattr(owner, "body", None), image_id):
            flagged.add(image_id)
    return [candidates[pk] for pk in sorted(flagged, key=lambda pk: candidates[pk].title)]


def uses_library_alt(stream, image_id):
    """Does a StreamField use this image without its own alt text and not as decoration?"""
    for use in image_uses(stream.get_prep_value() if stream is not None else []):
        if use.get("image") == image_id and not use.get("alt_text") and not use.get("decorative"):
            return True
    return False


def image_uses(raw):
    """Every ImageBlock value (a dict with `image`, `alt_text`, `decorative`) in raw JSON."""
    if isinstance(raw, dict):
        if "image" in raw and "decorative" in raw:
            yield raw
        for value in raw.values():
            yield from image_uses(value)
    elif isinstance(raw, list):
        for value in raw:
            yield from image_uses(value)


def documents_without_preview():
    """PDFs the preview task could not render (cms/media/previews.py), with the reason."""
    return get_document_model().objects.exclude(preview_error="").order_by("title")


def oversized_images():
    limit_bytes = settings.MEDIA_OVERSIZED_BYTES
    limit_pixels = settings.MEDIA_OVERSIZED_PIXELS
    return (
        get_image_model()
        .objects.filter(
            Q(file_size__gt=limit_bytes) | Q(width__gt=limit_pixels) | Q(height__gt=limit_pixels)
        )
        .order_by("-file_size")
    )


def documents_failing_content_check():
    """Documents whose stored content does not pass today's upload check (e.g. uploaded
    before it existed). Reads every document: a report for editors, not for each request."""
    failing = []
    for document in get_document_model().objects.order_by("title"):
        try:
            with document.file.open("rb") as file:
                validate_document(file.read(), document.file.name)
        except ValidationError as error:
            failing.append((document, "; ".join(error.messages)))
        except OSError as error:
            failing.append((document, f"the file cannot be read ({error})"))
    return failing


# Rights (cms/media/rights.py): "expiring soon" is within this many days.
EXPIRING_SOON_DAYS = 30


def images_expiring_soon(days=EXPIRING_SOON_DAYS, today=None):
    """Images still shown whose last day (`expires`) is within `days` days, soonest first."""
    today = today or clock.today()
    return (
        get_image_model()
        .objects.filter(expires__gte=today, expires__lte=today + timedelta(days=days))
        .filter(document_preview=False)
        .order_by("expires", "title")
    )


def expired_images(today=None):
    """Images past their last day, no longer shown on public pages; latest expiry first."""
    return (
        get_image_model()
        .objects.filter(expires__lt=today or clock.today(), document_preview=False)
        .order_by("-expires", "title")
    )
