"""The admin's crop chooser asks here what each rendition of one use would show
(static/js/crop-chooser.js).

    GET /admin/media/crop-preview/<image id>/?use=hero&focal_point=x,y,width,height

answers the image's size, a preview rendition to draw on, its own focal point, and for each
rendition spec the use is shown with (renditions.USE_SPECS) the rectangle of the original
that rendition shows and its size: Wagtail's own `Filter.get_transform`, the computation the
renditions are made with, so the preview cannot drift from them.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET
from wagtail.images import get_image_model
from wagtail.images.models import Filter
from wagtail.permissions import policy_registry

from cms.media.crop_fields import check_inside, parse_focal_point
from cms.media.crops import for_use, library_focal_point
from cms.media.renditions import USE_SPECS

PREVIEW = "max-800x800"  # what the chooser draws on


def preview_filter_spec(spec):
    """The one filter spec of a named spec the chooser previews: its last (largest), JPEG
    where it has one (its other sizes and formats show the same area)."""
    jpeg = [f for f in spec.filter_specs if "format-jpeg" in f]
    return (jpeg or list(spec.filter_specs))[-1]


@require_GET
def crop_preview(request, image_id):
    image = get_object_or_404(get_image_model(), pk=image_id, document_preview=False)
    policy = policy_registry.get_by_type(type(image))
    if not policy.user_has_permission_for_instance(request.user, "choose", image):
        raise PermissionDenied
    use = request.GET.get("use", "")
    if use not in USE_SPECS:
        raise Http404("unknown use")
    answer = {
        "width": image.width,
        "height": image.height,
        "focal_point": library_focal_point(image),
        "error": "",
    }
    try:
        value = parse_focal_point(request.GET.get("focal_point", ""))
        check_inside(value, image)
    except ValidationError as error:
        answer["error"] = " ".join(error.messages)
        value = None
    used = for_use(image, value)
    preview = image.get_rendition(PREVIEW)
    answer["preview"] = {"url": preview.url, "width": preview.width, "height": preview.height}
    answer["renditions"] = []
    for spec in USE_SPECS[use]:
        filter_spec = preview_filter_spec(spec)
        transform = Filter(spec=filter_spec).get_transform(used)
        left, top, right, bottom = transform.get_rect().round()
        answer["renditions"].append(
            {
                "name": spec.name,
                "spec": filter_spec,
                "rect": [
                    max(0, left),
                    max(0, top),
                    min(right, image.width),
                    min(bottom, image.height),
                ],
                "size": list(transform.size),
            }
        )
    return JsonResponse(answer)
