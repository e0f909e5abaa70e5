from django.contrib.auth.models import Permission
from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from cms.spreadsheet_export import neutralise_csv_exports
from products.jobs import admin_views as import_admin
from products.models import ProductCategory, ProductPage

# Admin-wide: every CSV export the admin offers (reports, site history) neutralises formulas.
neutralise_csv_exports()


class ProductCategoryViewSet(SnippetViewSet):
    model = ProductCategory
    icon = "tag"
    menu_label = "Categories"
    add_to_admin_menu = True
    menu_order = 210
    list_display = ["name", "slug"]
    search_fields = ["name"]


register_snippet(ProductCategoryViewSet)


class CatalogueSummaryPanel(Component):
    """Dashboard panel: the catalogue at a glance, and what the media library needs."""

    name = "catalogue_summary"
    order = 50
    template_name = "products/admin/catalogue_summary.html"

    def get_context_data(self, parent_context):
        from cms.media import health

        unused_images, unused_documents = health.unused_media()
        products = ProductPage.objects.all()
        return {
            "live": products.filter(live=True).count(),
            "drafts": products.filter(live=False).count(),
            "categories": ProductCategory.objects.count(),
            "images": get_image_model().objects.count(),
            "documents": get_document_model().objects.count(),
            "missing_alt": len(health.images_missing_alt_text()),
            "unused": unused_images.count() + unused_documents.count(),
            "oversized": health.oversized_images().count(),
            "health_url": reverse("media_health"),
        }


@hooks.register("construct_homepage_panels")
def add_catalogue_summary(request, panels):
    panels.append(CatalogueSummaryPanel())


class CatalogueImportMenuItem(MenuItem):
    """Shown only to those the view lets in (Moderators, superusers)."""

    def is_shown(self, request):
        return import_admin.may_use_catalogue_import(request.user)


@hooks.register("register_admin_urls")
def register_catalogue_import_urls():
    return [path("catalogue-import/", include(import_admin.admin_urls()))]


@hooks.register("register_permissions")
def register_catalogue_import_permission():
    """Offered in Settings, Groups, so that other groups can be let into the view."""
    app_label, codename = import_admin.IMPORT_PERMISSION.split(".")
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename)


@hooks.register("register_admin_menu_item")
def register_catalogue_import_menu_item():
    return CatalogueImportMenuItem(
        "Catalogue import",
        reverse("catalogue_import_admin:index"),
        name="catalogue-import",
        icon_name="upload",
        order=220,
    )
