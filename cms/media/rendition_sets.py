"""Every rendition an image needs, made from one decode of its original.

Wagtail makes each rendition on its own: it decodes the original, resizes it from full size
with Lanczos and encodes it, once per filter spec, so a set of two dozen specs decodes the
picture two dozen times and resamples twelve megapixels each time. Here one set is one job:

1. plan: each filter's crop and output size come from Wagtail's own `Filter.get_transform`,
   so dimensions and focal-point crops are Wagtail's to the pixel; renditions that share a
   geometry (`format-avif|width-480`, `format-webp|width-480`, ...) share one resize;
2. decode once: a JPEG is decoded at the smallest DCT scale (draft mode) still at least twice
   the largest output; the picture is then cleaned exactly as in Wagtail's path (upright, sRGB,
   no metadata: `rendering.clean_picture`);
3. resize each output with Lanczos from the smallest level of a halving pyramid that is still
   at least twice its size (the resampling keeps a 2x margin everywhere, so the result matches
   a resize from full size: `tests/media/test_rendition_sets.py` checks PSNR >= 40 dB);
4. encode on a few threads (Pillow releases the GIL in its codecs) with Wagtail's formats and
   qualities, AVIF at `MEDIA_AVIF_SPEED`;
5. store through the rendition storage with Wagtail's file names and rows, so templates, the
   API and Wagtail's own lookups cannot tell which path made a rendition;
6. from the smallest level of the same decode, the image's dominant colour and blurred
   preview (cms/media/placeholders.py) and its perceptual hash (cms/media/duplicates.py),
   stored on the image.

A filter this path does not know (another operation, an output format or option other than
JPEG, WebP, AVIF or PNG) goes through Wagtail's own `get_renditions`, as does everything if
the fast path fails for an image.
"""

import logging
import math
import os
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from io import BytesIO

import willow
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from PIL import ExifTags
from PIL import Image as PILImage
from wagtail.images import image_operations as ops
from wagtail.images.exceptions import InvalidFilterSpecError
from wagtail.images.models import AbstractImage, Filter
from willow.image import AvifImageFile
from willow.plugins.pillow import PillowImage

from cms.media import transaction as media_transaction
from cms.media.duplicates import perceptual_hash
from cms.media.placeholders import make_placeholder, save_placeholder
from cms.media.rendering import clean_picture

logger = logging.getLogger(__name__)

# Operations whose effect this path reproduces: the transforms Wagtail computes for us, and
# filter operations that only choose the output format and quality. Compared by exact type:
# a subclass may do anything.
TRANSFORMS = {
    ops.DoNothingOperation,
    ops.FillOperation,
    ops.MinMaxOperation,
    ops.WidthHeightOperation,
    ops.ScaleOperation,
}
OUTPUT_CHOICES = {
    ops.FormatOperation,
    ops.JPEGQualityOperation,
    ops.WebPQualityOperation,
    ops.AvifQualityOperation,
}
OUTPUT_FORMATS = {"jpeg", "webp", "avif", "png"}
# Resample from a level at least this many times the output size (per axis).
MARGIN = 2
QUARTER_TURNS = {5, 6, 7, 8}
# A JPEG original is decoded for its placeholder alone (add_placeholder) at the smallest DCT
# scale that keeps this many pixels on each side.
PLACEHOLDER_SOURCE_SIDE = 64


class Unsupported(Exception):
    """This filter goes through Wagtail's own path."""


@dataclass(frozen=True)
class Geometry:
    """What a rendition is cut from the upright original (`rect`) and its size."""

    rect: tuple[int, int, int, int]
    size: tuple[int, int]

    @property
    def scale(self):
        """The largest output / source ratio over both axes."""
        left, top, right, bottom = self.rect
        return max(self.size[0] / (right - left), self.size[1] / (bottom - top))


@dataclass
class Planned:
    filter: Filter
    geometry: Geometry
    output_format: str
    env: dict


def output_choice(filter, original_format):
    """(output format, env) as Wagtail's `Filter.run` chooses them, or Unsupported."""
    env = {"original-format": original_format}
    for operation in filter.filter_operations:
        if type(operation) not in OUTPUT_CHOICES:
            raise Unsupported(filter.spec)
        operation.run(None, None, env)  # these only record their choice in env
    if env.get("output-format-options"):
        raise Unsupported(filter.spec)  # lossless and other options: Wagtail's path
    if "output-format" in env:
        output_format = env["output-format"]
    else:
        # Wagtail's default conversions; a Pillow-decoded GIF never counts as animated.
        conversions = {"bmp": "png", "heic": "jpeg", "gif": "png"}
        conversions.update(getattr(settings, "WAGTAILIMAGES_FORMAT_CONVERSIONS", {}))
        output_format = conversions.get(original_format, original_format)
    if output_format not in OUTPUT_FORMATS:
        raise Unsupported(filter.spec)
    return output_format, env


def plan_one(image, filter, size, original_format):
    """A Planned rendition, or Unsupported."""
    if any(type(operation) not in TRANSFORMS for operation in filter.transform_operations):
        raise Unsupported(filter.spec)
    output_format, env = output_choice(filter, original_format)
    try:
        transform = filter.get_transform(image, size)
    except (ValueError, TypeError, InvalidFilterSpecError) as error:
        raise Unsupported(filter.spec) from error  # Wagtail's path raises it the usual way
    left, top, right, bottom = transform.get_rect().round()
    # Willow's crop clamps the rect to the picture, then the crop is resized to the size.
    rect = (max(0, left), max(0, top), min(right, size[0]), min(bottom, size[1]))
    if rect[0] >= rect[2] or rect[1] >= rect[3]:
        raise Unsupported(filter.spec)
    return Planned(filter, Geometry(rect, tuple(transform.size)), output_format, env)


def upright_size(picture):
    """The size of `picture` once its EXIF orientation is applied (as clean_picture does)."""
    orientation = picture.getexif().get(ExifTags.Base.Orientation, 1)
    width, height = picture.size
    return (height, width) if orientation in QUARTER_TURNS else (width, height)


class Pyramid:
    """The cleaned picture and its successive halvings, as far down as some output needs."""

    def __init__(self, picture, full_size, scales):
        # Each level: (picture, its scale relative to the full-size upright original).
        self.levels = [(picture, picture.width / full_size[0], picture.height / full_size[1])]
        needed = min(1.0, MARGIN * min(scales))
        while True:
            picture, sx, sy = self.levels[-1]
            if min(sx, sy) / 2 < needed or min(picture.size) < 2 * MARGIN:
                break
            # A 2x2 box average: cheap, and the Lanczos resize from it keeps a 2x margin.
            half = picture.reduce(2)
            self.levels.append(
                (half, sx * half.width / picture.width, sy * half.height / picture.height)
            )

    def level_for(self, scale):
        """The smallest level at least MARGIN times `scale` on both axes (or the largest)."""
        needed = min(1.0, MARGIN * scale)
        for picture, sx, sy in reversed(self.levels):
            if min(sx, sy) >= needed:
                return picture, sx, sy
        return self.levels[0]

    @property
    def smallest(self):
        return self.levels[-1][0]

    def resize(self, geometry):
        picture, sx, sy = self.level_for(geometry.scale)
        left, top, right, bottom = geometry.rect
        box = (left * sx, top * sy, right * sx, bottom * sy)
        # Crop to the whole pixels around the box first, as Wagtail crops before resizing: the
        # resampling at the edges then sees the same pixels (none from outside the crop).
        crop = (
            math.floor(box[0]),
            math.floor(box[1]),
            min(picture.width, math.ceil(box[2])),
            min(picture.height, math.ceil(box[3])),
        )
        picture = picture.crop(crop)
        box = (box[0] - crop[0], box[1] - crop[1], box[2] - crop[0], box[3] - crop[1])
        if picture.size == geometry.size and box == (0, 0, *picture.size):
            return picture
        return picture.resize(geometry.size, PILImage.Resampling.LANCZOS, box=box)


def decode(data, full_size, scales):
    """The original decoded once and cleaned, with the pyramid `scales` need; a JPEG at the
    smallest DCT scale that keeps MARGIN times the largest output."""
    largest_scale = max(scales)
    picture = PILImage.open(BytesIO(data))
    if picture.format == "JPEG" and largest_scale * MARGIN < 1:
        width, height = picture.size
        wanted = max(1.0 / 8, MARGIN * largest_scale)
        picture.draft(None, (math.ceil(width * wanted), math.ceil(height * wanted)))
    picture.load()
    return Pyramid(clean_picture(picture), full_size, scales)


def encode(picture, output_format, env, output):
    """Encode as Wagtail's `Filter.run` does (formats, qualities, options, optimizers), with
    the AVIF encoder speed set by MEDIA_AVIF_SPEED. Returns Willow's image file."""
    willow_image = PillowImage(picture)
    if output_format == "jpeg":
        quality = env.get("jpeg-quality", getattr(settings, "WAGTAILIMAGES_JPEG_QUALITY", 76))
        if willow_image.has_alpha():
            willow_image = willow_image.set_background_color_rgb((255, 255, 255))
        return willow_image.save_as_jpeg(output, quality=quality, progressive=True, optimize=True)
    if output_format == "webp":
        quality = env.get("webp-quality", getattr(settings, "WAGTAILIMAGES_WEBP_QUALITY", 80))
        return willow_image.save_as_webp(output, quality=quality)
    if output_format == "png":
        return willow_image.save_as_png(output, optimize=True)
    # AVIF: Willow's save_as_avif cannot pass the encoder speed.
    quality = env.get("avif-quality", getattr(settings, "WAGTAILIMAGES_AVIF_QUALITY", 61))
    picture.save(output, "AVIF", quality=quality, speed=settings.MEDIA_AVIF_SPEED)
    willow_image.optimize(output, "heic")
    return AvifImageFile(output)


class PreparedFilter(Filter):
    """A filter whose picture is already resized: Wagtail's `generate_rendition_file` calls
    `run` and names the file from the spec, exactly as for its own renditions."""

    def __init__(self, planned, picture):
        super().__init__(planned.filter.spec)
        self.planned = planned
        self.picture = picture

    def run(self, image, output, source=None):
        # A copy per encode: Image.save keeps its options on the image object, so encoders
        # sharing one picture on several threads would mix up their qualities.
        picture = self.picture.copy()
        return encode(picture, self.planned.output_format, self.planned.env, output)


def render(image, planned, picture):
    """An unsaved Rendition for `planned`, encoded from its resized `picture`, its file
    already written to the rendition storage."""
    prepared = PreparedFilter(planned, picture)
    # AbstractImage's method, not CustomImage's: that one would swap in CleanFilter.
    file = AbstractImage.generate_rendition_file(image, prepared)
    Rendition = image.get_rendition_model()
    rendition = Rendition(
        image=image,
        filter_spec=planned.filter.spec,
        focal_point_key=planned.filter.get_cache_key(image),
    )
    # Written here, on the encoding thread (uploads to S3 overlap too), under the name
    # Django's FileField would give it. Given with its size, the row's file is never read back
    # for its dimensions, as Django does on a save (a download per rendition on S3).
    field = Rendition._meta.get_field("file")
    name = field.storage.save(field.generate_filename(rendition, file.name), file)
    return Rendition(
        image=image,
        filter_spec=rendition.filter_spec,
        focal_point_key=rendition.focal_point_key,
        file=name,
        width=planned.geometry.size[0],
        height=planned.geometry.size[1],
    )


def threads():
    return getattr(settings, "MEDIA_RENDITION_THREADS", None) or (os.cpu_count() or 1) + 1


# (process id, size, pool): see encoding_pool().
_encoding_pool = None


def encoding_pool():
    """The process's pool of encoding threads, made on first use and kept, instead of a pool
    (and its threads) started and joined for every image. A forked child (warm_renditions
    --jobs) inherits the pool but none of its threads, and a changed MEDIA_RENDITION_THREADS
    asks for another size: both get a new pool (the old one's threads end once nothing
    refers to it)."""
    global _encoding_pool
    key = (os.getpid(), threads())
    if _encoding_pool is None or _encoding_pool[:2] != key:
        pool = ThreadPoolExecutor(max_workers=key[1], thread_name_prefix="rendition-encode")
        _encoding_pool = (*key, pool)
    return _encoding_pool[2]


def delete_files(renditions):
    for rendition in renditions:
        try:
            rendition.file.storage.delete(rendition.file.name)
        except Exception:  # noqa: BLE001 - cleanup must not hide the original error
            logger.exception("Could not delete %s", rendition.file.name)


def generate(image, plans, data, full_size):
    """Unsaved Renditions for every plan, from one decode of `data`, their files written,
    and the image's Placeholder and perceptual hash from the same decode."""
    pyramid = decode(data, full_size, [p.geometry.scale for p in plans])
    placeholder = make_placeholder(pyramid.smallest)
    fingerprint = perceptual_hash(pyramid.smallest)
    geometries = list(dict.fromkeys(p.geometry for p in plans))
    # Slowest first: AVIF, then the largest outputs, so no thread is left with a long tail.
    order = {"avif": 0, "webp": 1, "jpeg": 2, "png": 3}
    plans = sorted(plans, key=lambda p: (order[p.output_format], -p.geometry.size[0]))
    pool = encoding_pool()
    # The resizes are queued before the encodes that wait for them, and the pool starts jobs
    # in order: when an encode starts, its resize (which waits for nothing) has started too,
    # even with several images' jobs in the pool at once.
    resized = {g: pool.submit(pyramid.resize, g) for g in geometries}
    jobs = [
        pool.submit(lambda p: render(image, p, resized[p.geometry].result()), p) for p in plans
    ]
    wait(jobs)
    made = [job.result() for job in jobs if not job.exception()]
    failed = next((job.exception() for job in jobs if job.exception()), None)
    if failed is not None:
        delete_files(made)
        raise failed
    return made, placeholder, fingerprint


def store(image, renditions):
    """Save new Renditions; one already there (made meanwhile by a page request or another
    worker) wins, and the file made here for it is deleted: no file without a row."""
    Rendition = image.get_rendition_model()
    try:
        with transaction.atomic():
            Rendition.objects.bulk_create(renditions, ignore_conflicts=True)
    except BaseException:
        delete_files(renditions)
        raise
    for rendition in renditions:
        media_transaction.written(rendition.file.storage, rendition.file.name)
    lookup = Q()
    for rendition in renditions:
        lookup |= Q(filter_spec=rendition.filter_spec, focal_point_key=rendition.focal_point_key)
    rows = {(r.filter_spec, r.focal_point_key): r for r in image.renditions.filter(lookup)}
    kept = {row.file.name for row in rows.values()}
    delete_files(r for r in renditions if r.file.name not in kept)
    return {spec: row for (spec, _), row in rows.items()}


def make_rendition_set(image, specs):
    """Create the renditions of `image` for these filter specs that do not exist yet, and
    return every one of them as `{spec: rendition}` (like Wagtail's `get_renditions`).
    The image's placeholder and perceptual hash come with them; an image that has its
    renditions but no placeholder or hash yet (made before them) gets them from a small
    decode."""
    filters = list(dict.fromkeys(image.clean_filter_for_svg(Filter(spec)) for spec in specs))
    found = image.find_existing_renditions(*filters)
    todo = [f for f in filters if f not in found]
    result = {f.spec: r for f, r in found.items()}
    if todo:
        result.update(create_renditions(image, todo))
    if not image.dominant_colour or not image.perceptual_hash:
        add_placeholder(image)
    return {f.spec: result[f.spec] for f in filters}


def add_placeholder(image):
    """Compute and store the placeholder and perceptual hash of `image` from its original,
    decoded as small as the placeholder allows (a JPEG at 1/8 scale). For images the
    rendition set did not decode: made before placeholders, or through Wagtail's path.
    Never raises: an image without a placeholder renders as before."""
    try:
        with image.open_file() as file:
            picture = PILImage.open(BytesIO(file.read()))
            picture.draft(None, (PLACEHOLDER_SOURCE_SIDE, PLACEHOLDER_SOURCE_SIDE))
            picture.load()
        picture = clean_picture(picture)
        save_placeholder(image, make_placeholder(picture), perceptual_hash(picture))
    except Exception:  # noqa: BLE001 - a missing or broken original: no placeholder
        logger.exception("Placeholder of image %s", image.pk)


def create_renditions(image, filters):
    """{spec: rendition} for these missing filters: the fast path where it applies,
    Wagtail's own path for the rest."""
    fallback = list(filters)
    created = {}
    try:
        with image.open_file() as file:
            data = file.read()
        original_format = willow.Image.open(BytesIO(data)).format_name
        with PILImage.open(BytesIO(data)) as header:
            full_size = upright_size(header)
        plans, fallback = [], []
        for filter in filters:
            try:
                plans.append(plan_one(image, filter, full_size, original_format))
            except Unsupported:
                fallback.append(filter)
        if plans:
            made, placeholder, fingerprint = generate(image, plans, data, full_size)
            created = store(image, made)
            save_placeholder(image, placeholder, fingerprint)
    except Exception:  # noqa: BLE001 - Wagtail's path makes them, or raises its own error
        logger.exception("Rendition set of image %s: falling back to Wagtail", image.pk)
        fallback = [f for f in filters if f.spec not in created]
    if fallback:
        created.update(image.get_renditions(*fallback))
    return created
