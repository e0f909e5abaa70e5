"""Roles: "Editors" create and edit products, upload media into the product collections and
submit for moderation; "Moderators" also publish, and manage all media and categories.

Wagtail creates both groups (with admin access) in its own first migrations; this one gives
them exactly these permissions, and creates the "Product images" and "Product documents"
collections. Permission rows are created when missing: Django adds them only after migrate.
"""

from django.db import migrations

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEP = 4
COLLECTIONS = ("Product images", "Product documents")


def permission(apps, app_label, model, codename):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    found, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": codename}
    )
    return found


def child_collection(apps, root, name):
    """A child of the root collection (treebeard's materialised path, built by hand)."""
    Collection = apps.get_model("wagtailcore", "Collection")
    existing = Collection.objects.filter(depth=2, name=name).first()
    if existing:
        return existing
    last = Collection.objects.filter(depth=2).order_by("-path").first()
    number = 0 if last is None else int(last.path[-STEP:], 36) + 1
    step = ""
    for _ in range(STEP):
        number, digit = divmod(number, 36)
        step = ALPHABET[digit] + step
    Collection.objects.filter(pk=root.pk).update(numchild=root.numchild + 1)
    root.numchild += 1
    return Collection.objects.create(name=name, path=root.path + step, depth=2, numchild=0)


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Page = apps.get_model("wagtailcore", "Page")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")

    root_collection = Collection.objects.get(depth=1)
    images, documents = (child_collection(apps, root_collection, n) for n in COLLECTIONS)
    home = Page.objects.filter(depth=2).order_by("path").first()

    def perm(app, model, action):
        return permission(apps, app, model, f"{action}_{model}")

    access_admin = permission(apps, "wagtailadmin", "admin", "access_admin")
    roles = {
        "Editors": {
            "pages": ("add", "change"),
            "collections": [
                (images, "wagtailimages", "image", ("add", "choose")),
                (documents, "wagtaildocs", "document", ("add", "choose")),
                (root_collection, "wagtailimages", "image", ("choose",)),
                (root_collection, "wagtaildocs", "document", ("choose",)),
            ],
            "models": [],
        },
        "Moderators": {
            "pages": ("add", "change", "publish", "lock", "unlock"),
            "collections": [
                (root_collection, "wagtailimages", "image", ("add", "change", "delete", "choose")),
                (root_collection, "wagtaildocs", "document", ("add", "change", "delete",
                                                              "choose")),
            ],
            "models": [("products", "productcategory", ("add", "change", "delete", "view"))],
        },
    }
    for name, role in roles.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set([
            access_admin,
            *(perm(app, model, action) for app, model, actions in role["models"]
              for action in actions),
        ])
        GroupPagePermission.objects.filter(group=group).delete()
        for action in role["pages"]:
            GroupPagePermission.objects.create(
                group=group, page=home, permission=perm("wagtailcore", "page", action)
            )
        GroupCollectionPermission.objects.filter(group=group).delete()
        for collection, app, model, actions in role["collections"]:
            for action in actions:
                GroupCollectionPermission.objects.create(
                    group=group, collection=collection, permission=perm(app, model, action)
                )


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0002_hero_alt"),
        ("home", "0003_homepagefeaturedproduct"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("wagtailadmin", "0006_formstate"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
