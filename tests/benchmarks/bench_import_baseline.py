"""Benchmark: the 1,000-product import against a baseline revision of the code.

The same generated bundle (bench_import.py's: 3 photo-like images and 1 PDF per product) is
imported into a fresh SQLite site by this checkout and by a baseline revision (default:
d37f208, the importer before issue #13 split it into planner and writer), then imported again
unchanged. The two take turns, round after round, each import in a fresh process, so machine
drift touches both alike; the report gives medians and their ratios. Both sites are then
exported and compared: manifests and every media file must be identical.

    python tests/benchmarks/bench_import_baseline.py [--products 1000] [--rounds 2]
        [--baseline REV]
"""

import argparse
import filecmp
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.bench_import import make_bundle  # noqa: E402
from tests.benchmarks.report import machine, write_section  # noqa: E402

BASELINE = "d37f208"  # the importer before the planner/writer split (issue #13)

# Both revisions have import_bundle(path): open, plan (or check), write; no renditions.
CHILD = """
import json, resource, sys, time, django
django.setup()
from products.catalogue.importer import import_bundle
start = time.perf_counter()
report = import_bundle(sys.argv[1])
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "ok": report.ok, "products": report.products,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def site_env(code, folder):
    """A fresh SQLite site for the code at `code` (production settings, tasks recorded)."""
    folder.mkdir(parents=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(code),
        "DJANGO_SETTINGS_MODULE": "cms.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "MEDIA_ROOT": str(folder / "media"),
        "TASKS_BACKEND": "dummy",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=code, env=env, check=True)
    return env


def run_import(code, env, bundle):
    command = [sys.executable, "-c", CHILD, str(bundle)]
    result = subprocess.run(command, cwd=code, env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(result.stderr[-3000:])
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["ok"], outcome
    return outcome


def export(code, env, target):
    subprocess.run(
        [sys.executable, "manage.py", "export_catalogue", str(target)],
        cwd=code,
        env=env,
        check=True,
        capture_output=True,
    )
    return target


def same_tree(a, b):
    """Whether two folders hold the same files with the same bytes."""
    compared = filecmp.dircmp(a, b)
    if compared.left_only or compared.right_only or compared.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, compared.common_files, shallow=False)
    return (
        not mismatch
        and not errors
        and all(same_tree(Path(a) / sub, Path(b) / sub) for sub in compared.common_dirs)
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--baseline", default=BASELINE)
    args = parser.parse_args()
    n = args.products
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="catalogue-bench-baseline-"))
    baseline_code = work / "baseline"
    subprocess.run(
        ["git", "worktree", "add", "--detach", "-q", str(baseline_code), args.baseline],
        cwd=ROOT,
        check=True,
    )
    codes = {"baseline": baseline_code, "this code": ROOT}
    runs = {side: {"first": [], "again": []} for side in codes}
    try:
        bundle = work / "bundle"
        make_bundle(bundle, n)
        for round_ in range(args.rounds):
            for side, code in codes.items():
                env = site_env(code, work / f"{side.replace(' ', '-')}-{round_}")
                first = run_import(code, env, bundle)
                again = run_import(code, env, bundle)
                assert first["products"]["created"] == n, first
                assert again["products"]["unchanged"] == n, again
                runs[side]["first"].append(first["seconds"])
                runs[side]["again"].append(again["seconds"])
                runs[side]["env"] = env
        exports = {
            side: export(code, runs[side]["env"], work / f"export-{side.replace(' ', '-')}")
            for side, code in codes.items()
        }
        identical = same_tree(exports["baseline"], exports["this code"])
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(baseline_code)], cwd=ROOT, check=False
        )
        shutil.rmtree(work, ignore_errors=True)

    def rate(side, which):
        return n / statistics.median(runs[side][which])

    lines = [
        "## Catalogue import against the code before issue #13 "
        "(`make bench`: tests/benchmarks/bench_import_baseline.py)",
        "",
        f"Machine: {machine()}. SQLite, local media, tasks recorded (not run). The "
        f"{n}-product bundle of the import benchmark; baseline `{args.baseline}` (the importer "
        f"before the planner/writer split) and this code taking turns, {args.rounds} rounds, "
        f"each import in a fresh process; medians. Load average {load_before:.1f} before the "
        f"run, {os.getloadavg()[0]:.1f} after (above 1: something else ran meanwhile).",
        "",
        "| | baseline | this code | ratio |",
        "|---|---|---|---|",
        *(
            f"| {label} | {statistics.median(runs['baseline'][which]):.1f} s "
            f"({rate('baseline', which):.1f}/s) | "
            f"{statistics.median(runs['this code'][which]):.2f} s "
            f"({rate('this code', which):.1f}/s) | "
            f"{rate('this code', which) / rate('baseline', which):.2f}x |"
            for label, which in (
                ("first import, products/s", "first"),
                ("re-import unchanged, products/s", "again"),
            )
        ),
        "",
        "Both sites exported afterwards (`export_catalogue`): manifests and media files "
        + ("**identical**." if identical else "**differ**."),
        "",
        f"Command: `python tests/benchmarks/bench_import_baseline.py --products {n} "
        f"--rounds {args.rounds}`",
    ]
    write_section("import-baseline", "\n".join(lines))
    print("\n".join(lines))
    times = {side: {k: v for k, v in r.items() if k != "env"} for side, r in runs.items()}
    print(json.dumps(times))


if __name__ == "__main__":
    main()
