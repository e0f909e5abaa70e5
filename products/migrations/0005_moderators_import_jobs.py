"""Moderators may run catalogue imports in the admin (products/jobs/admin_views.py): the
"Catalogue import" view asks for `products.add_importjob`, which superusers have anyway.

The permission row is created when missing: Django adds model permissions only after migrate.
"""

from django.db import migrations

GROUP = "Moderators"
CODENAME = "add_importjob"


def import_job_permission(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="products", model="importjob")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=CODENAME, defaults={"name": "Can add import job"}
    )
    return permission


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(import_job_permission(apps))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(import_job_permission(apps))


class Migration(migrations.Migration):
    dependencies = [("products", "0004_import_jobs")]

    operations = [migrations.RunPython(grant, revoke)]
