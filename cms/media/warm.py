"""Backfill renditions, placeholders and perceptual hashes for the whole library
(manage.py warm_renditions)."""

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from django.db import connections
from wagtail.images import get_image_model
from wagtail.images.models import Filter

from cms.media.crops import crops_of, focal_point_value, for_use
from cms.media.rendition_sets import make_rendition_set
from cms.media.renditions import ahead_of_time_specs, use_filter_specs


@dataclass
class WarmReport:
    images: int = 0
    created: int = 0
    placeholders: int = 0
    failed: list = field(default_factory=list)  # (image id, title, error)


def missing_specs(image, specs, existing):
    return [spec for spec in specs if (image.pk, spec) not in existing]


def missing_crops(image, rects, keyed):
    """`(image as the use shows it, missing filter specs)` for each use's own focal point
    (cms/media/crops.py) that lacks renditions."""
    missing = []
    for rect, uses in rects.items():
        used = for_use(image, focal_point_value(rect))
        todo = [
            spec
            for spec in use_filter_specs(uses)
            if (image.pk, spec, Filter(spec=spec).get_cache_key(used)) not in keyed
        ]
        if todo:
            missing.append((used, todo))
    return missing


def warm_chunk(image_ids):
    """Create the missing renditions and placeholders of these images; return
    (renditions created, placeholders created, failures)."""
    Image = get_image_model()
    specs = ahead_of_time_specs()
    Rendition = Image.get_rendition_model()
    keyed = set(
        Rendition.objects.filter(image_id__in=image_ids).values_list(
            "image_id", "filter_spec", "focal_point_key"
        )
    )
    existing = {(image_id, spec) for image_id, spec, _ in keyed}
    crops = crops_of(image_ids)
    created, placeholders, failures = 0, 0, []
    for image in Image.objects.filter(pk__in=image_ids):
        todo = missing_specs(image, specs, existing)
        had_placeholder = bool(image.dominant_colour)
        cropped = missing_crops(image, crops.get(image.pk, {}), keyed)
        if not todo and had_placeholder and image.perceptual_hash and not cropped:
            continue
        try:
            make_rendition_set(image, todo)
            created += len(todo)
            for used, filter_specs in cropped:
                make_rendition_set(used, filter_specs)
                created += len(filter_specs)
        except Exception as error:  # noqa: BLE001 - one broken original must not stop the rest
            failures.append((image.pk, image.title, str(error)[:200]))
        placeholders += not had_placeholder and bool(image.dominant_colour)
    return created, placeholders, failures


def warm_renditions(jobs=1, chunk_size=20, progress=None):
    """Create every missing rendition the templates use, and every missing placeholder, for
    every image. Idempotent.

    `jobs` > 1 spreads the images over that many processes (one per core); `progress` is
    called with (images done, images in all) after each chunk.
    """
    ids = list(get_image_model().objects.order_by("pk").values_list("pk", flat=True))
    chunks = [ids[i : i + chunk_size] for i in range(0, len(ids), chunk_size)]
    report = WarmReport(images=len(ids))
    done = 0

    def record(chunk, result):
        nonlocal done
        created, placeholders, failures = result
        report.created += created
        report.placeholders += placeholders
        report.failed.extend(failures)
        done += len(chunk)
        if progress:
            progress(done, len(ids))

    if jobs <= 1:
        for chunk in chunks:
            record(chunk, warm_chunk(chunk))
        return report
    # Child processes open their own database connections.
    connections.close_all()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for chunk, result in zip(chunks, pool.map(warm_chunk, chunks), strict=True):
            record(chunk, result)
    return report
