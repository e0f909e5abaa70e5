"""Benchmark: what an image's placeholder and perceptual hash add to its rendition set.

Both are made in the pipeline from the smallest level of the rendition set's own decode
(cms/media/rendition_sets.py `generate`: `make_placeholder`, `perceptual_hash`) and stored by
the same UPDATE. Here the real `make_rendition_set` runs for a new image each time, with those
two calls timed where they run; their sum is compared with the whole set's wall time (target:
under 5%). Photo-like JPEGs (`make_photo`, quality 90) at three sizes, medians of `--runs`.
Also the synchronous cost of an admin upload's or an import's hash (`hash_of_file`: a draft
decode of the bytes), which is not part of the pipeline.

    python tests/benchmarks/bench_placeholder_hash.py [--runs 5]
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="catalogue-bench-placeholder-hash-"))
os.environ.update(
    DJANGO_SETTINGS_MODULE="cms.settings.test",
    DATABASE_URL=f"sqlite:///{WORK / 'db.sqlite3'}",
)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from wagtail.images import get_image_model  # noqa: E402
from wagtail.models import Collection  # noqa: E402

from cms.demo.generate import make_photo  # noqa: E402
from cms.media import models as media_models  # noqa: E402
from cms.media import rendition_sets  # noqa: E402
from cms.media.duplicates import hash_of_file  # noqa: E402
from cms.media.renditions import ahead_of_time_specs  # noqa: E402
from tests.benchmarks.report import machine, write_section  # noqa: E402

SIZES = [(4000, 3000), (2400, 1600), (1200, 900)]


def timing(function, spent):
    """`function`, adding the seconds of each call to `spent`."""

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - start)

    return timed


def new_image(content):
    image = get_image_model()(
        title="Bench photo",
        collection=Collection.get_first_root_node(),
        file=ContentFile(content, name="photo.jpg"),
    )
    image.save()
    return image


def measure(content, runs):
    """Median seconds: (rendition set, placeholder, hash, upload-time hash)."""
    sets, placeholders, hashes, uploads = [], [], [], []
    specs = ahead_of_time_specs()
    real_placeholder, real_hash = rendition_sets.make_placeholder, rendition_sets.perceptual_hash
    rendition_sets.make_placeholder = timing(real_placeholder, placeholders)
    rendition_sets.perceptual_hash = timing(real_hash, hashes)
    try:
        for _ in range(runs):
            image = new_image(content)
            start = time.perf_counter()
            rendition_sets.make_rendition_set(image, specs)
            sets.append(time.perf_counter() - start)
            start = time.perf_counter()
            hash_of_file(content)
            uploads.append(time.perf_counter() - start)
    finally:
        rendition_sets.make_placeholder, rendition_sets.perceptual_hash = (
            real_placeholder,
            real_hash,
        )
    assert len(placeholders) == len(hashes) == runs, "not made from the set's own decode"
    return tuple(statistics.median(values) for values in (sets, placeholders, hashes, uploads))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    settings.MEDIA_ROOT = WORK / "media"
    # The upload task would make the set at once (immediate backend): here only the timed call.
    media_models.generate_renditions = types.SimpleNamespace(enqueue=lambda pk, **kwargs: None)
    call_command("migrate", verbosity=0)
    # A first set, not counted: the codecs' and SciPy's first use (imports, tables).
    measure(make_photo("Warm-up", 800, 600), 1)
    load = os.getloadavg()
    rows = []
    for width, height in SIZES:
        content = make_photo("Bench photo", width, height, quality=90)
        rows.append((width, height, len(content), *measure(content, args.runs)))
    end_load = os.getloadavg()
    lines = [
        "## Placeholder and perceptual hash in the pipeline "
        "(`make bench`: tests/benchmarks/bench_placeholder_hash.py)",
        "",
        f"Machine: {machine()}. Load average (1, 5, 15 min) at the start: "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, at the end: "
        f"{end_load[0]:.2f} {end_load[1]:.2f} {end_load[2]:.2f}. SQLite, local media; the "
        f"rendition set of the {len(ahead_of_time_specs())} specs an upload makes, each run "
        "for a new image; "
        f"medians of {args.runs}. Placeholder and hash are timed inside the real set, where "
        "they run (from the smallest level of its decode, stored by the placeholder's UPDATE: "
        "no extra query).",
        "",
        "| photo-like JPEG | rendition set | placeholder | hash | placeholder + hash "
        "| share of the set | upload-time hash (draft decode) |",
        "|---|---|---|---|---|---|---|",
        *(
            f"| {w}x{h}, {size / 1e6:.1f} MB | {s * 1000:.0f} ms | {p * 1000:.1f} ms | "
            f"{h_ * 1000:.1f} ms | {(p + h_) * 1000:.1f} ms | {(p + h_) / s:.1%} | "
            f"{u * 1000:.1f} ms |"
            for w, h, size, s, p, h_, u in rows
        ),
        "",
        "Target: placeholder + hash under 5% of the rendition set's time.",
        "",
        f"Command: `python tests/benchmarks/bench_placeholder_hash.py --runs {args.runs}`",
    ]
    write_section("placeholder-hash", "\n".join(lines))
    print("\n".join(lines))
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
