"""Benchmark: the media pipeline.

1. Time to generate the full rendition set for one 1600x1067 JPEG original, per output format
   (the specs in cms/media/renditions.py), median of several runs.
2. A product page with 20 images right after they were uploaded: first visit against repeat
   visits (median), Django test client. Renditions are made by the upload's background task,
   so the first visitor should not wait for them (target: first within 1.5x of repeat).
3. Peak memory of rejecting a 12,000 x 12,000 PNG (432 MB decoded, about 420 KB on disk),
   measured in a fresh process as growth of its peak resident size (target: under 50 MB).

    python tests/benchmarks/bench_media.py [--runs 5]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="catalogue-bench-media-"))
os.environ.update(
    DJANGO_SETTINGS_MODULE="cms.settings.test",
    DATABASE_URL=f"sqlite:///{WORK / 'db.sqlite3'}",
)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from wagtail.models import Collection  # noqa: E402

from cms.demo.generate import make_image  # noqa: E402
from cms.media.library import add_image  # noqa: E402
from cms.media.renditions import all_filter_specs  # noqa: E402
from home.models import HomePage  # noqa: E402
from products.models import ProductIndexPage, ProductPage  # noqa: E402
from tests.benchmarks.report import machine, median_ms, write_section  # noqa: E402

BOMB_SCRIPT = """
import resource, sys, django
django.setup()
from django.core.exceptions import ValidationError
from cms.media.validation import validate_image
sys.path.insert(0, sys.argv[2])
from tests.media.corpus import png_pixel_bomb
content = png_pixel_bomb()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    validate_image(content, "bomb.png")
    print("accepted")
except ValidationError as error:
    print(error.code)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def rendition_set_times(runs):
    """Median seconds to make every spec of each output format for one new image."""
    root = Collection.get_first_root_node()
    by_format = {}
    for fmt in ("avif", "webp", "jpeg"):
        specs = [s for s in all_filter_specs() if s.startswith(f"format-{fmt}")]
        times = []
        for run in range(runs):
            image, _ = add_image(
                make_image(f"Set {fmt} {run}", 1600, 1067, "jpeg"),
                "p.jpg",
                title="p",
                collection=root,
            )
            image.renditions.all().delete()
            start = time.perf_counter()
            image.get_renditions(*specs)
            times.append(time.perf_counter() - start)
        by_format[fmt] = (len(specs), median_ms(times))
    return by_format


def first_versus_repeat(runs, repeats=20):
    """(first visit ms, repeat median ms) per run, each run on a freshly uploaded page."""
    root = Collection.get_first_root_node()
    index = ProductIndexPage.objects.get()
    client = Client()
    # Warm the process up (templates compiled, URL resolvers built) on an unrelated page, so
    # that "first" measures the page's first visit, not the process's.
    assert client.get(index.url).status_code == 200
    results = []
    for run in range(runs):
        with django.db.transaction.atomic():  # commit: the upload's tasks then run
            images = [
                add_image(
                    make_image(f"Run {run} image {n}", 1600, 1067, "jpeg"),
                    "p.jpg",
                    title=f"Run {run} image {n}",
                    description="A product photo",
                    collection=root,
                )[0]
                for n in range(20)
            ]
        page = ProductPage(
            title=f"Fresh {run}",
            slug=f"fresh-{run}",
            sku=f"FRESH-{run}",
            hero_image=images[0],
            body=[
                {
                    "type": "gallery",
                    "value": [
                        {"image": i.pk, "alt_text": "", "decorative": False} for i in images[1:]
                    ],
                }
            ],
        )
        index.add_child(instance=page)
        caches["renditions"].clear()
        start = time.perf_counter()
        assert client.get(page.url).status_code == 200
        first = time.perf_counter() - start
        repeat = []
        for _ in range(repeats):
            caches["renditions"].clear()
            start = time.perf_counter()
            client.get(page.url)
            repeat.append(time.perf_counter() - start)
        results.append((first * 1000, median_ms(repeat)))
    return results


def bomb_memory():
    result = subprocess.run(
        [sys.executable, "-c", BOMB_SCRIPT, "bomb.png", str(ROOT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "cms.settings.test"},
    )
    code, grown_kb = result.stdout.split()
    return code, int(grown_kb) / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    settings.MEDIA_ROOT = WORK / "media"
    call_command("migrate", verbosity=0)
    HomePage.objects.get().add_child(instance=ProductIndexPage(title="Products", slug="products"))

    sets = rendition_set_times(args.runs)
    visits = first_versus_repeat(args.runs)
    code, bomb_mb = bomb_memory()
    ratios = [first / repeat for first, repeat in visits]
    firsts = statistics.median(f for f, _ in visits)
    repeats = statistics.median(r for _, r in visits)

    lines = [
        "## Media pipeline (`make bench`: tests/benchmarks/bench_media.py)",
        "",
        f"Machine: {machine()}. SQLite, local media.",
        "",
        f"Rendition set for one 1600x1067 JPEG original, median of {args.runs} runs:",
        "",
        "| output format | renditions | median time |",
        "|---|---|---|",
        *(f"| {fmt.upper()} | {n} | {ms:.0f} ms |" for fmt, (n, ms) in sets.items()),
        f"| all | {sum(n for n, _ in sets.values())} | "
        f"{sum(ms for _, ms in sets.values()):.0f} ms |",
        "",
        f"Product page with 20 images right after their upload (renditions made by the "
        f"upload's task), {args.runs} fresh pages: first visit median {firsts:.1f} ms, repeat "
        f"visits median {repeats:.1f} ms (20 each, rendition cache emptied before each); "
        f"first / repeat = {statistics.median(ratios):.2f}x (worst run "
        f"{max(ratios):.2f}x). Target: within 1.5x.",
        "",
        f"Rejecting a 12,000 x 12,000 PNG (432 MB if decoded): refused as `{code}`, peak "
        f"resident memory grew by {bomb_mb:.1f} MB in a fresh process. Target: under 50 MB.",
        "",
        f"Command: `python tests/benchmarks/bench_media.py --runs {args.runs}`",
    ]
    write_section("media", "\n".join(lines))
    print("\n".join(lines))
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
