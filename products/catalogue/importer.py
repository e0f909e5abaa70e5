"""Importing a bundle: plan it, then apply the plan, or nothing.

    import_bundle(path, parent=None, dry_run=False, user=None) -> ImportReport
    plan_bundle(path, parent=None, user=None) -> ImportPlan

The work is in planner.py (validate everything, decide every action, write nothing) and
writer.py (apply a plan in one transaction, files included, after checking the site has not
moved since the plan); these functions open and close the bundle around them.
"""

from products.catalogue.bundle import open_bundle
from products.catalogue.planner import CatalogueNotFound, ImportPlan, find_catalogue, make_plan
from products.catalogue.problems import BundleInvalid
from products.catalogue.writer import apply_plan

__all__ = ["CatalogueNotFound", "find_catalogue", "import_bundle", "plan_bundle"]


def import_bundle(path, *, parent=None, dry_run=False, user=None, progress=None, renditions=False):
    """Import the bundle at `path`. Nothing is written if anything is wrong, or on a dry run.

    `parent` is a catalogue page, or its id or URL path (`find_catalogue`). With a `user`,
    every page the import would create, change, publish or unpublish must be theirs to
    change (and no page may be locked, with or without a user), or nothing is written.
    New images queue their renditions as background tasks once the import commits; with
    `renditions`, they are also made here, after the commit, before returning (the command
    line's choice; never in a web request). `progress(done, total)` is called as products are
    written; an exception it raises rolls the import back and propagates.
    """
    try:
        bundle = open_bundle(path)
    except BundleInvalid as error:
        return ImportPlan.refused(error.problems, user).report.copy(dry_run=dry_run)
    try:
        plan = make_plan(bundle, parent=parent, user=user)
        if dry_run or not plan.ok:
            return plan.report.copy(dry_run=dry_run)
        return apply_plan(plan, bundle, progress=progress, renditions=renditions)
    finally:
        bundle.close()


def plan_bundle(path, *, parent=None, user=None):
    """The plan of the bundle at `path` (see planner.make_plan); the bundle is closed again.
    A bundle that cannot be opened gives a plan holding only its errors."""
    try:
        bundle = open_bundle(path)
    except BundleInvalid as error:
        return ImportPlan.refused(error.problems, user)
    try:
        return make_plan(bundle, parent=parent, user=user)
    finally:
        bundle.close()
