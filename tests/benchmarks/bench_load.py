"""Benchmark: load on loopback (wrk) against a product page with 20 images, three ways in one
run: (a) one gunicorn directly, (b) nginx with the page in its cache, (c) nginx serving a
static HTML file of the same size, the physical limit; and (a1) one gunicorn directly for a
product page with 1 image, the page (a) is compared with (issue #12: the cost of a page should
hardly grow with its images). The site is the two-node setup of
tests/scale/ (PostgreSQL, Redis, SeaweedFS S3, gunicorn, nginx). Writes its section of
docs/benchmarks.md.

    make bench                      # or:
    python tests/benchmarks/bench_load.py --seconds 30 --connections 64
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cms.demo.generate import make_image  # noqa: E402
from tests.benchmarks.report import machine, write_section  # noqa: E402
from tests.scale import services  # noqa: E402
from tests.scale.nodes import two_nodes  # noqa: E402

PAGE = "/products/bench-lamp/"
SMALL_PAGE = "/products/bench-stool/"


def bundle(folder):
    files = {f"images/view-{n:02d}.jpg": make_image(f"View {n}", 1600, 1067) for n in range(20)}
    product = {
        "sku": "BENCH-1",
        "title": "Bench lamp",
        "slug": "bench-lamp",
        "summary": "A product page with twenty images.",
        "hero_image": {"file": "images/view-00.jpg", "alt": "The lamp"},
        "body": [
            {
                "type": "gallery",
                "value": [
                    {"file": f"images/view-{n:02d}.jpg", "alt": f"View {n}"} for n in range(1, 20)
                ],
            },
            {"type": "specs", "value": [{"name": "Height", "value": "40 cm"}]},
        ],
    }
    small = {
        "sku": "BENCH-2",
        "title": "Bench stool",
        "slug": "bench-stool",
        "summary": "A product page with one image.",
        "hero_image": {"file": "images/view-00.jpg", "alt": "The stool"},
        "body": [{"type": "specs", "value": [{"name": "Height", "value": "45 cm"}]}],
    }
    data = {"format": "catalogue/1", "products": [product, small]}
    archive = folder / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as bundle_zip:
        bundle_zip.writestr("catalogue.json", json.dumps(data))
        for path, content in files.items():
            bundle_zip.writestr(path, content)
    return archive


def wrk(url, seconds, connections):
    result = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s", url],
        capture_output=True,
        text=True,
        check=True,
    )
    out = result.stdout

    def ms(label):
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50": ms("50%"),
        "p90": ms("90%"),
        "p99": ms("99%"),
        "errors": sum(map(int, errors.groups())) if errors else 0,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
    }


def ratio(value):
    return f"{value:.2f}x" if value >= 0.01 else f"{value:.5f}x"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--print-only", action="store_true", help="print the results, leave the docs alone"
    )
    args = parser.parse_args()

    services.check_reachable()
    with services.seaweedfs() as endpoint, tempfile.TemporaryDirectory() as work:
        os.environ.update(services.environment(endpoint))
        with two_nodes() as nodes:
            token = nodes.manage("api_tokens", "create", "--user", "admin", "--name", "b")
            with bundle(Path(work)).open("rb") as f:
                imported = requests.post(
                    nodes.app[0] + "/api/catalogue/import/",
                    headers={"Authorization": f"Bearer {token.stdout.strip()}"},
                    files={"bundle": ("bundle.zip", f, "application/zip")},
                    timeout=600,
                )
            imported.raise_for_status()
            page = requests.get(nodes.app[0] + PAGE, timeout=600)  # renditions made
            assert page.ok and page.text.count("<picture>") >= 20, "the page has not 20 images"
            small = requests.get(nodes.app[0] + SMALL_PAGE, timeout=600)
            assert small.ok and small.text.count("<picture>") == 1, "the page has not 1 image"
            requests.get(nodes.nginx + PAGE, timeout=60)
            cached = requests.get(nodes.nginx + PAGE, timeout=60)
            assert cached.headers["X-Cache-Status"] == "HIT"
            static = nodes.folder / "static" / "bench" / "product.html"
            static.parent.mkdir()
            static.write_bytes(page.content)

            targets = {
                "(a) gunicorn direct": nodes.app[0] + PAGE,
                "(b) nginx, page cached": nodes.nginx + PAGE,
                "(c) nginx, static file": nodes.nginx + "/static/bench/product.html",
                "(a1) gunicorn direct, product with 1 image": nodes.app[0] + SMALL_PAGE,
            }
            results = {}
            for name, url in targets.items():
                results[name] = wrk(url, args.seconds, args.connections)
                print(name, results[name], flush=True)

    limit = results["(c) nginx, static file"]["rps"]
    lines = [
        "## Load on loopback (`make bench`: tests/benchmarks/bench_load.py)",
        "",
        f"Command: `python tests/benchmarks/bench_load.py --seconds {args.seconds} "
        f"--connections {args.connections}` (wrk, 2 threads, {args.connections} connections, "
        f"{args.seconds} s each, one run). Machine: {machine()}.",
        "",
        f"Product page with 20 images ({len(page.content) // 1024} KB of HTML); the site is two "
        "gunicorn nodes (gthread, 5 workers x 4 threads each), PostgreSQL, Redis, SeaweedFS "
        "S3 and nginx, all on this machine with wrk.",
        "",
        "| target | requests/s | vs (c) | p50 ms | p90 ms | p99 ms | errors | non-2xx |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['rps']:.0f} | {ratio(r['rps'] / limit)} | {r['p50']:.1f} | "
            f"{r['p90']:.1f} | {r['p99']:.1f} | {r['errors']} | {r['non_2xx']} |"
        )
    a, b = results["(a) gunicorn direct"], results["(b) nginx, page cached"]
    a1 = results["(a1) gunicorn direct, product with 1 image"]
    lines += [
        "",
        f"Product page with 20 images / with 1 image, gunicorn direct: "
        f"{a['rps'] / a1['rps']:.2f}x the requests/s.",
        "",
        f"Targets: (b) at least half of (c): {b['rps'] / limit:.2f}x "
        f"({'met' if b['rps'] >= limit / 2 else 'NOT met'}); (a) zero errors at "
        f"{args.connections} connections for {args.seconds} s: {a['errors'] + a['non_2xx']} "
        f"errors ({'met' if a['errors'] + a['non_2xx'] == 0 else 'NOT met'}).",
        "",
        "(a) and (a1) are bounded by rendering (see the page-rendering section), on two "
        "cores shared with PostgreSQL, Redis, SeaweedFS, nginx and wrk; "
        f"{args.connections} connections queue behind them, hence the latency. The edge cache "
        "is what makes such a page cheap: (b) serves it without reaching Python.",
    ]
    if args.print_only:
        print("\n".join(lines))
    else:
        write_section("load", "\n".join(lines))


if __name__ == "__main__":
    main()
