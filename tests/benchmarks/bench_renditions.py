"""Benchmark: an image's rendition set, Wagtail's stock path against ours.

For one photo-like 4000x3000 JPEG (quality 90: texture and grain, `make_photo`), every spec
an upload makes (`ahead_of_time_specs()`: the templates' 23 and the admin thumbnail):

- stock: Wagtail's `get_renditions` (each rendition decodes the original and resizes it from
  full size; three threads), through our CleanFilter as before;
- ours: `make_rendition_set` (cms/media/rendition_sets.py): one decode, shared resizes from a
  pyramid, threaded encodes.

Wall and CPU time (medians, CPU of every thread of the process), total bytes, and quality:
- the lowest PSNR of our decoded outputs against Wagtail's decoded outputs (lossy against
  lossy: the encoders' own noise is in it);
- the lowest PSNR of our pixels against Wagtail's full-resolution resize, both written as
  lossless PNG through the two paths (the resampling alone);
- how much closer or further Wagtail's and our lossy outputs are from that lossless reference.
Then the AVIF encoder speeds (MEDIA_AVIF_SPEED) side by side: our path's time and bytes.

    python tests/benchmarks/bench_renditions.py [--runs 5] [--size 4000x3000]
"""

import argparse
import io
import math
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="catalogue-bench-renditions-"))
os.environ.update(
    DJANGO_SETTINGS_MODULE="cms.settings.test",
    DATABASE_URL=f"sqlite:///{WORK / 'db.sqlite3'}",
)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from PIL import Image, ImageChops, ImageStat  # noqa: E402
from wagtail.images import get_image_model  # noqa: E402
from wagtail.models import Collection  # noqa: E402

from cms.demo.generate import make_photo  # noqa: E402
from cms.media import models as media_models  # noqa: E402
from cms.media.rendition_sets import make_rendition_set  # noqa: E402
from cms.media.renditions import ahead_of_time_specs  # noqa: E402
from tests.benchmarks.report import machine, write_section  # noqa: E402


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def new_image(content):
    image = get_image_model()(
        title="Bench photo",
        collection=Collection.get_first_root_node(),
        file=ContentFile(content, name="photo.jpg"),
    )
    image.save()
    return image


def stock(image, specs):
    return image.get_renditions(*specs)


def ours(image, specs):
    return make_rendition_set(image, specs)


def timed(path, content, specs, runs):
    """(median wall s, median CPU s, {spec: decoded picture}, {spec: bytes}) of `runs` sets,
    each for a new image."""
    walls, cpus = [], []
    for _ in range(runs):
        image = new_image(content)
        wall, cpu = time.perf_counter(), cpu_seconds()
        renditions = path(image, specs)
        walls.append(time.perf_counter() - wall)
        cpus.append(cpu_seconds() - cpu)
    files = {}
    for spec, rendition in renditions.items():
        with rendition.file.open("rb") as f:
            files[spec] = f.read()
    return statistics.median(walls), statistics.median(cpus), files


def decoded(content):
    return Image.open(io.BytesIO(content)).convert("RGB")


def psnr(a, b):
    if a.size != b.size:
        raise AssertionError(f"sizes differ: {a.size} {b.size}")
    stat = ImageStat.Stat(ImageChops.difference(a, b))
    mse = sum(stat.sum2) / (3 * a.width * a.height)
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def lossless(spec):
    """The same geometry written as PNG: the pixels before any lossy encoder."""
    return "|".join(["format-png", *(op for op in spec.split("|") if not op.startswith("format"))])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", default="4000x3000")
    parser.add_argument("--avif-speeds", default="6,7,8,9")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
    settings.MEDIA_ROOT = WORK / "media"
    call_command("migrate", verbosity=0)
    # Sets are made here, timed, not by the upload's task.
    media_models.generate_renditions = types.SimpleNamespace(enqueue=lambda pk, **kwargs: None)

    content = make_photo("Bench photo", width, height, quality=90)
    specs = ahead_of_time_specs()
    stock_wall, stock_cpu, stock_files = timed(stock, content, specs, args.runs)
    wall, cpu, files = timed(ours, content, specs, args.runs)

    # Quality: lossy against lossy, and both against the lossless full-resolution pixels.
    pngs = {lossless(s) for s in specs}
    _, _, reference = timed(stock, content, sorted(pngs), 1)
    _, _, our_pngs = timed(ours, content, sorted(pngs), 1)
    rows = []
    for spec in specs:
        ref = decoded(reference[lossless(spec)])
        theirs, mine = decoded(stock_files[spec]), decoded(files[spec])
        rows.append(
            (
                spec,
                mine.size,
                psnr(theirs, mine),
                psnr(ref, decoded(our_pngs[lossless(spec)])),
                psnr(ref, theirs),
                psnr(ref, mine),
            )
        )
    lowest_lossy = min(r[2] for r in rows)
    lowest_pixels = min(r[3] for r in rows)
    worst_loss = min(r[5] - r[4] for r in rows)
    stock_bytes, our_bytes = sum(map(len, stock_files.values())), sum(map(len, files.values()))

    speeds = []
    configured = settings.MEDIA_AVIF_SPEED
    avif_specs = [s for s in specs if "format-avif" in s]
    for speed in (int(n) for n in args.avif_speeds.split(",")):
        settings.MEDIA_AVIF_SPEED = speed
        s_wall, s_cpu, s_files = timed(ours, content, specs, args.runs)
        avif = sum(len(s_files[s]) for s in avif_specs)
        speeds.append((speed, s_wall, s_cpu, avif, sum(map(len, s_files.values()))))
    settings.MEDIA_AVIF_SPEED = configured
    stock_avif = sum(len(stock_files[s]) for s in avif_specs)

    lines = [
        "## Rendition sets (`make bench`: tests/benchmarks/bench_renditions.py)",
        "",
        f"Machine: {machine()}. SQLite, local media. One photo-like {width}x{height} JPEG "
        f"(quality 90, {len(content) / 1e6:.1f} MB), the {len(specs)} specs an upload makes; "
        f"median of {args.runs} sets, each for a new image. CPU: all threads of the process. "
        f"Ours with MEDIA_AVIF_SPEED = {configured}.",
        "",
        "| path | wall | CPU | total bytes |",
        "|---|---|---|---|",
        f"| Wagtail's stock path | {stock_wall * 1000:.0f} ms | {stock_cpu * 1000:.0f} ms | "
        f"{stock_bytes:,} |",
        f"| ours (one decode) | {wall * 1000:.0f} ms | {cpu * 1000:.0f} ms | {our_bytes:,} |",
        f"| stock / ours | {stock_wall / wall:.2f}x | {stock_cpu / cpu:.2f}x | "
        f"{our_bytes / stock_bytes - 1:+.1%} bytes |",
        "",
        "Targets: at least 4x faster wall, 2.5x less CPU, bytes within +10%.",
        "",
        f"Quality: lowest PSNR of our pixels against Wagtail's full-resolution resize "
        f"(lossless): {lowest_pixels:.1f} dB (target: at least 40 dB). Lossy outputs, decoded, "
        f"ours against Wagtail's: lowest {lowest_lossy:.1f} dB. Against the lossless "
        f"reference, our outputs are at worst {-worst_loss:.2f} dB further than Wagtail's.",
        "",
        "| spec | size | ours vs Wagtail, lossy | pixels vs reference | Wagtail vs reference "
        "| ours vs reference |",
        "|---|---|---|---|---|---|",
        *(
            f"| `{spec}` | {w}x{h} | {a:.1f} dB | {b:.1f} dB | {c:.1f} dB | {d:.1f} dB |"
            for spec, (w, h), a, b, c, d in rows
        ),
        "",
        f"AVIF encoder speed (ours, median of {args.runs}; Wagtail's path encodes at Pillow's "
        f"default 6: AVIF {stock_avif:,} bytes):",
        "",
        "| speed | wall | CPU | AVIF bytes | vs stock AVIF | total bytes vs stock |",
        "|---|---|---|---|---|---|",
        *(
            f"| {speed} | {w * 1000:.0f} ms | {c * 1000:.0f} ms | {a:,} | "
            f"{a / stock_avif - 1:+.1%} | {t / stock_bytes - 1:+.1%} |"
            for speed, w, c, a, t in speeds
        ),
        "",
        f"Command: `python tests/benchmarks/bench_renditions.py --runs {args.runs}`",
    ]
    write_section("renditions", "\n".join(lines))
    print("\n".join(lines))
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
