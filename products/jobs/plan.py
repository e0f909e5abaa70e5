"""What a job will do, shown before and while it runs."""

from products.catalogue.importer import import_bundle


def plan_summary(path, parent, user):
    """The plan of importing the bundle at `path` under `parent` as `user`: counts of
    products to create, update or leave, media to add or reuse, and the errors and warnings
    with their places. For now a dry run of the importer (it reads every file once more
    than the import); the planner's `plan.summary()` replaces it."""
    report = import_bundle(path, parent=parent, dry_run=True, user=user).as_json()
    return {key: report[key] for key in ("ok", "products", "images", "documents")} | {
        "errors": report["errors"],
        "warnings": report["warnings"],
    }
