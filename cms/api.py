"""Wagtail's read-only API (v2) at /api/v2/: pages (products with body and hero renditions),
and the images and documents live public pages use (cms/api_media.py: never an original)."""

from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet

from cms.api_media import PublicDocumentsAPIViewSet, PublicImagesAPIViewSet

api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", PagesAPIViewSet)
api_router.register_endpoint("images", PublicImagesAPIViewSet)
api_router.register_endpoint("documents", PublicDocumentsAPIViewSet)
