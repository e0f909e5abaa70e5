"""Plans (issue #13): what the planner decides, that planning writes nothing, that a stale
plan is refused, that a cancelled import leaves nothing, and the command's --plan, --json
and progress output."""

import gc
import json
import re
from io import StringIO

import pytest
from django.core.files.storage import Storage
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cms.demo.generate import make_image
from products.catalogue.bundle import FolderBundle, open_bundle
from products.catalogue.importer import import_bundle, plan_bundle
from products.catalogue.planner import make_plan
from products.catalogue.writer import apply_plan
from products.models import ProductPage
from tests.products.catalogue_helpers import (
    FILES,
    MANIFEST,
    manifest,
    run_import,
    site_state,
    write_bundle,
)

pytestmark = pytest.mark.django_db

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def with_products(data, *products):
    data = json.loads(json.dumps(data))
    data["products"].extend(products)
    return data


SOFA = {"sku": "SO-1", "title": "Sofa", "live": True}
STOOL = {"sku": "ST-1", "title": "Stool"}


@pytest.fixture
def imported(tmp_path):
    """MANIFEST and a live sofa, imported."""
    ok, _, err = run_import(
        write_bundle(tmp_path / "first", with_products(MANIFEST, SOFA)), "--no-renditions"
    )
    assert ok, err


@pytest.fixture
def second(tmp_path, imported):
    """The next bundle: the chair renamed, the walnut chair as it is, the sofa no longer
    public, and a new stool."""
    data = with_products(manifest(title="Oak chair, mark II"), {**SOFA, "live": False}, STOOL)
    return write_bundle(tmp_path / "second", data)


@pytest.fixture
def storage_saves(monkeypatch):
    """Every file saved to any storage while the test runs."""
    saved = []
    original = Storage.save

    def save(self, name, *args, **kwargs):
        saved.append(name)
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(Storage, "save", save)
    return saved


def test_plan_gives_each_product_its_action(second):
    plan = plan_bundle(second)
    assert plan.ok
    summary = plan.summary()
    assert summary["products"] == {"create": 1, "update": 1, "unchanged": 1, "unpublish": 1}
    assert summary["media"] == {"new": 0, "reuse": 4}
    assert summary["actions"] == [
        {"sku": "CH-1001", "title": "Oak chair, mark II", "action": "update"},
        {"sku": "CH-1002", "title": "Walnut chair", "action": "unchanged"},
        {"sku": "SO-1", "title": "Sofa", "action": "unpublish"},
        {"sku": "ST-1", "title": "Stool", "action": "create"},
    ]
    # The plan's report is the dry run's: unpublishing counts as an update.
    assert plan.report.products == {"created": 1, "updated": 2, "unchanged": 1}
    assert json.loads(json.dumps(summary)) == summary


def test_plan_of_a_first_import_resolves_media_and_alt_text(tmp_path, catalogue):
    plan = plan_bundle(write_bundle(tmp_path / "b", MANIFEST))
    media = {item.paths[0]: item for item in plan.media}
    assert {item.action for item in plan.media} == {"new"}
    chair = media["images/ch-1001.jpg"]
    assert (chair.title, chair.alt, chair.credit) == (
        "Oak chair, front",
        "Oak chair seen from the front",
        "Photo: Studio North",
    )
    assert media["images/side.webp"].alt == "Side"  # the first alt given for it
    first = plan.products[0]
    gallery = next(block for block in first.body if block["type"] == "gallery")
    # A gallery use without its own alt shows the library's.
    assert gallery["value"][1]["alt_text"] == "Oak chair seen from the front"
    assert gallery["value"][1]["image"] == chair.key
    assert first.hero_alt == ""  # the same as the library's: not repeated on the page


def test_planning_writes_nothing(second, storage_saves):
    """Neither a first import's plan nor an update's writes a row or a file."""
    before = site_state()
    with CaptureQueriesContext(connection) as queries:
        plan = plan_bundle(second)
    assert plan.ok
    assert [q["sql"] for q in queries if WRITES.match(q["sql"])] == []
    assert storage_saves == []
    assert site_state() == before


def test_planning_a_new_site_writes_nothing(tmp_path, home, storage_saves):
    before = site_state()
    with CaptureQueriesContext(connection) as queries:
        plan = plan_bundle(write_bundle(tmp_path / "b", MANIFEST))
    assert plan.ok and plan.summary()["media"] == {"new": 4, "reuse": 0}
    assert [q["sql"] for q in queries if WRITES.match(q["sql"])] == []
    assert storage_saves == [] and site_state() == before


def test_a_plan_applied_later_does_what_it_said(second):
    bundle = open_bundle(second)
    try:
        plan = make_plan(bundle)
        report = apply_plan(plan, bundle, renditions=False)
    finally:
        bundle.close()
    assert report.ok and not report.dry_run
    assert report.products == {"created": 1, "updated": 2, "unchanged": 1}
    assert ProductPage.objects.get(sku="CH-1001").title == "Oak chair, mark II"
    assert not ProductPage.objects.get(sku="SO-1").live
    assert ProductPage.objects.get(sku="ST-1").live


def test_a_product_edited_after_planning_is_not_overwritten(second):
    bundle = open_bundle(second)
    try:
        plan = make_plan(bundle)
        chair = ProductPage.objects.get(sku="CH-1001")
        chair.summary = "An editor's better summary."
        edit = chair.save_revision()
        before = site_state()
        report = apply_plan(plan, bundle)
    finally:
        bundle.close()
    assert not report.ok
    [error] = report.errors
    assert error.where == "products[0].sku"
    assert "“Oak dining chair” (SKU CH-1001) was changed after the import was planned" in (
        error.message
    )
    assert site_state() == before
    chair.refresh_from_db()
    assert chair.latest_revision_id == edit.pk
    assert not ProductPage.objects.filter(sku="ST-1").exists()


def test_a_sku_added_after_planning_is_not_created_twice(second):
    bundle = open_bundle(second)
    try:
        plan = make_plan(bundle)
        ProductPage.objects.get(sku="SO-1").copy(update_attrs={"slug": "stool", "sku": "ST-1"})
        report = apply_plan(plan, bundle)
    finally:
        bundle.close()
    assert not report.ok
    assert "(SKU ST-1) was added to the site after the import was planned" in str(report.errors[0])
    assert ProductPage.objects.filter(sku="ST-1").count() == 1


def test_a_slug_taken_after_planning_is_not_given_twice(second):
    """New products are written in bulk (bulk_pages.py), around Wagtail's slug check: the
    writer checks the catalogue's slugs itself, with the catalogue locked."""
    bundle = open_bundle(second)
    try:
        plan = make_plan(bundle)
        ProductPage.objects.get(sku="SO-1").copy(update_attrs={"slug": "stool", "sku": "OTHER-1"})
        before = site_state()
        report = apply_plan(plan, bundle)
    finally:
        bundle.close()
    assert not report.ok
    assert "The slug 'stool' is already in use" in str(report.errors[0])
    assert not ProductPage.objects.filter(sku="ST-1").exists()
    assert site_state() == before


class Cancelled(Exception):
    pass


def test_progress_that_raises_rolls_everything_back(tmp_path, catalogue):
    products = [
        {"sku": f"P-{n}", "title": f"Product {n}", "hero_image": {"file": f"p{n}.jpg", "alt": "P"}}
        for n in range(5)
    ]
    files = {f"p{n}.jpg": make_image(f"P{n}", 24, 16, "jpeg") for n in range(5)}
    folder = write_bundle(tmp_path / "b", {"format": "catalogue/1", "products": products}, files)
    before = site_state()
    calls = []

    def progress(done, total):
        calls.append((done, total))
        if done == 3:
            raise Cancelled

    with pytest.raises(Cancelled):
        import_bundle(folder, progress=progress)
    assert calls == [(1, 5), (2, 5), (3, 5)]
    assert site_state() == before  # rows, and files in storage


def test_each_media_file_is_read_at_most_twice(tmp_path, catalogue, monkeypatch):
    reads = {}
    original = FolderBundle.read

    def read(self, path, limit):
        reads[path] = reads.get(path, 0) + 1
        return original(self, path, limit)

    monkeypatch.setattr(FolderBundle, "read", read)
    folder = write_bundle(tmp_path / "b", MANIFEST)
    assert import_bundle(folder).ok
    assert reads == dict.fromkeys(FILES, 2)  # hashed and checked, then stored
    reads.clear()
    assert import_bundle(folder).ok
    assert reads == dict.fromkeys(FILES, 1)  # already in the library: hashed only


# The command


def command(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("import_catalogue", *map(str, args), stdout=out, stderr=err)
        ok = True
    except Exception as error:  # noqa: BLE001 - CommandError: a failed run
        err.write(str(error))
        ok = False
    return ok, out.getvalue(), err.getvalue()


def test_command_plan_prints_each_action_and_writes_nothing(second):
    before = site_state()
    ok, out, err = command(second, "--plan")
    assert ok, err
    lines = out.splitlines()
    assert lines[0] == (
        "Plan, nothing written. Products: 1 to create, 1 to update, 1 to unpublish, "
        "1 unchanged. Media: 0 new, 4 reused."
    )
    assert lines[1:] == [
        "update  CH-1001  Oak chair, mark II",
        "unchanged  CH-1002  Walnut chair",
        "unpublish  SO-1  Sofa",
        "create  ST-1  Stool",
    ]
    assert site_state() == before


def test_command_plan_with_errors_fails(tmp_path, catalogue):
    bad = write_bundle(tmp_path / "b", manifest(sku="not a sku"))
    ok, out, err = command(bad, "--plan")
    assert not ok
    assert "error: products[0].sku:" in err
    assert "the plan cannot be applied" in err


def test_command_plan_as_json(second):
    ok, out, err = command(second, "--plan", "--json")
    assert ok, err
    assert json.loads(out) == plan_bundle(second).summary()


def test_command_json_prints_the_report_alone(tmp_path, catalogue):
    bundle = write_bundle(tmp_path / "b", MANIFEST, {**FILES, "extra.txt": b"x"})
    ok, out, err = command(bundle, "--json", "--no-renditions")
    assert ok, err
    report = json.loads(out)  # nothing else on stdout
    assert report["format"] == "catalogue-report/1" and report["ok"]
    assert report["products"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert report["warnings"] == [{"where": "extra.txt", "message": "not named by the manifest"}]
    assert "warning: extra.txt" in err


def test_command_json_of_a_failed_import(tmp_path, catalogue):
    ok, out, err = command(write_bundle(tmp_path / "b", manifest(price=12)), "--json")
    assert not ok
    report = json.loads(out)
    assert not report["ok"] and report["errors"][0]["where"] == "products[0].price"


def many_products(tmp_path, count):
    data = {
        "format": "catalogue/1",
        "products": [{"sku": f"P-{n}", "title": f"Product {n}"} for n in range(count)],
    }
    return write_bundle(tmp_path / "many", data, files={})


def test_progress_off_a_terminal_is_a_line_every_tenth(tmp_path, catalogue):
    ok, out, err = command(many_products(tmp_path, 25), "--no-renditions")
    assert ok, err
    lines = [line for line in err.splitlines() if line.startswith("products ")]
    assert lines == [
        "products 3/25",
        "products 5/25",
        "products 8/25",
        "products 10/25",
        "products 13/25",
        "products 15/25",
        "products 18/25",
        "products 20/25",
        "products 23/25",
        "products 25/25",
    ]
    assert "Products: 25 created" in out


class Terminal(StringIO):
    def isatty(self):
        return True


def test_progress_on_a_terminal_is_a_bar(tmp_path, catalogue):
    out, err = StringIO(), Terminal()
    call_command(
        "import_catalogue",
        str(many_products(tmp_path, 12)),
        "--no-renditions",
        stdout=out,
        stderr=err,
    )
    assert "12/12" in err.getvalue() and "products" in err.getvalue()
    assert "\r" in err.getvalue()  # redrawn in place
    assert "products 12/12\n" not in err.getvalue()


def actions(bundle):
    plan = make_plan(open_bundle(bundle))
    assert plan.ok, plan.report.errors
    return {p.sku: p.action for p in plan.products}


def test_markup_the_importer_cleans_is_unchanged_on_the_next_import(tmp_path):
    """Re-planning compares stored markup with the manifest's as given, then cleaned: markup
    that cleaning changes (a script, an event attribute) still matches what was stored."""
    dirty = '<p onclick="steal()">Rich <b>text</b>.<script>alert(1)</script></p>'

    def with_paragraph(html):
        body = json.loads(json.dumps(MANIFEST["products"][0]["body"]))
        (block,) = [block for block in body if block["type"] == "paragraph"]
        block["value"] = html
        return manifest(body=body)

    first = write_bundle(tmp_path / "first", with_paragraph(dirty))
    ok, _, err = run_import(first, "--no-renditions")
    assert ok, err
    body = ProductPage.objects.get(sku="CH-1001").body.raw_data
    (stored,) = [block["value"] for block in body if block["type"] == "paragraph"]
    assert "Rich <b>text</b>" in stored
    assert "script" not in stored and "onclick" not in stored
    assert actions(first)["CH-1001"] == "unchanged"
    edited = write_bundle(tmp_path / "edited", with_paragraph(dirty.replace("Rich", "Richer")))
    assert actions(edited)["CH-1001"] == "update"


def test_a_change_made_outside_a_revision_is_an_update(tmp_path, imported):
    """The stored state is read from the rows as they are now: a category renamed in the
    admin (no page revision) makes the product differ from the manifest."""
    chair = ProductPage.objects.get(sku="CH-1001")
    chair.category.name = "Seating (old)"
    chair.category.save()
    bundle = write_bundle(tmp_path / "again", with_products(MANIFEST, SOFA))
    assert actions(bundle)["CH-1001"] == "update"


def test_an_import_freezes_older_objects_only_while_it_runs(tmp_path, catalogue):
    """Collections skip the process's long-lived objects while an import runs
    (products/catalogue/memory.py), and get them back afterwards: nothing stays frozen."""
    bundle = open_bundle(write_bundle(tmp_path / "b", MANIFEST))
    plan = make_plan(bundle)
    assert gc.get_freeze_count() == 0
    frozen = []
    report = apply_plan(
        plan, bundle, progress=lambda done, total: frozen.append(gc.get_freeze_count())
    )
    assert report.ok, report.errors
    assert frozen and min(frozen) > 1000
    assert gc.get_freeze_count() == 0
