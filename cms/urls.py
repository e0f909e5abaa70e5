from pathlib import Path

from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path
from django.views.generic import TemplateView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from cms.api import api_router
from cms.media import document_versions
from products import views as product_views
from products import views_api as product_api
from products.jobs import views as import_jobs

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    # Before Wagtail's own: an earlier file name of a replaced document redirects.
    path(
        "documents/<int:document_id>/<path:document_filename>",
        document_versions.serve_document,
        name="media_document_serve",
    ),
    path("documents/", include(wagtaildocs_urls)),
    path("search/", product_views.search, name="search"),
    path("api/catalogue/import/", product_api.import_catalogue, name="catalogue_import"),
    path("api/catalogue/imports/", import_jobs.start_import, name="catalogue_imports"),
    path(
        "api/catalogue/imports/<int:job_id>/",
        import_jobs.job_status,
        name="catalogue_import_job",
    ),
    path(
        "api/catalogue/imports/<int:job_id>/cancel",
        import_jobs.cancel,
        name="catalogue_import_job_cancel",
    ),
    path(
        "api/catalogue/imports/<int:job_id>/start",
        import_jobs.start,
        name="catalogue_import_job_start",
    ),
    path("api/v2/", api_router.urls),
    path("sitemap.xml", sitemap, name="sitemap"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots",
    ),
]

# Django serves renditions (images/) only when DEBUG is on (static() returns nothing
# otherwise); in production a web server or object storage serves them. Originals and
# documents are never served from MEDIA_URL: pages use renditions and Wagtail's document view.
urlpatterns += static(
    f"{settings.MEDIA_URL}images/", document_root=Path(settings.MEDIA_ROOT) / "images"
)

# Wagtail's page serving catches everything else: keep it last.
urlpatterns += [path("", include(wagtail_urls))]
