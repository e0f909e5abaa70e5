"""The images and documents endpoints of the read-only API: only media that live pages open to
everyone use, and never a link to an original file.

Wagtail's own endpoints list the whole library (unused images and those only drafts or private
pages use) with `download_url`, the storage URL of the original, EXIF GPS position included.
These show images only as renditions (cleaned, cms/media/rendering.py), with full URLs on the
Site's root URL (cms/media/api_fields.py), and link documents through Wagtail's serve view,
which checks collection privacy.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Cast
from django.urls import reverse
from rest_framework.fields import Field
from wagtail.api import APIField
from wagtail.api.v2.filters import FieldsFilter, OrderingFilter
from wagtail.api.v2.serializers import BaseSerializer
from wagtail.api.v2.utils import get_full_url
from wagtail.api.v2.views import BaseAPIViewSet
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, Page, ReferenceIndex, Site

from cms.media import rights
from cms.media.api_fields import SiteImageRenditionField
from cms.media.renditions import API_CARD, API_DOCUMENT_PREVIEW, API_LARGE


def public_pages(site):
    """Live pages of `site` that anyone may view: no view restriction on them or above."""
    if site is None:
        return Page.objects.none()
    return Page.objects.live().public().in_site(site)


def used_on_public_pages(queryset, site):
    """The images or documents of `queryset` that a live, public page of `site` uses (hero,
    body blocks, any reference Wagtail's reference index records), outside private collections.

    The reference index records a page's saved row, which for a live page is its published
    version: a draft revision's new images are not in it until it is published.
    """
    page_keys = public_pages(site).annotate(key=Cast("pk", CharField())).values("key")
    uses = ReferenceIndex.objects.filter(
        base_content_type=ContentType.objects.get_for_model(Page),
        object_id__in=page_keys,
        to_content_type=ContentType.objects.get_for_model(queryset.model),
        to_object_id=Cast(OuterRef("pk"), CharField()),
    )
    queryset = queryset.filter(Exists(uses))
    private = in_private_collection()
    return queryset.exclude(private) if private else queryset


def in_private_collection():
    """A filter for media in a collection under a view restriction (or below one), for
    whoever asks: the API shows everyone the same. Empty when no collection is private."""
    condition = Q()
    restricted = Collection.objects.filter(view_restrictions__isnull=False)
    for path in restricted.values_list("path", flat=True):
        condition |= Q(collection__path__startswith=path)
    return condition


class PublicMediaAPIViewSet(BaseAPIViewSet):
    """An endpoint listing the rows of `model` that live public pages use."""

    # No SearchFilter: the search backend cannot filter on the public-use subquery, and
    # `?search=` is refused (400) rather than ignored.
    filter_backends = [FieldsFilter, OrderingFilter]
    known_query_parameters = BaseAPIViewSet.known_query_parameters - {
        "search",
        "search_operator",
    }

    def get_queryset(self):
        # Built once per request: Wagtail asks for it twice in a listing, and each build
        # reads the page and collection restrictions.
        if not hasattr(self, "_public_media"):
            site = Site.find_for_request(self.request)
            media = used_on_public_pages(self.model.objects.all(), site).order_by("id")
            self._public_media = self.prepare(media)
        return self._public_media

    def prepare(self, queryset):
        """What every response needs of the rows, fetched with them."""
        return queryset


class PublicImagesAPIViewSet(PublicMediaAPIViewSet):
    """`/api/v2/images/`: images live public pages use, as JPEG renditions (the specs the API
    links, made ahead of time with the rest), with the dominant colour and blurred preview a
    client shows until a rendition loads (empty until the image's renditions are made); no
    tags, no original."""

    body_fields = [
        *BaseAPIViewSet.body_fields,
        "title",
        "width",
        "height",
        "dominant_colour",
        "placeholder",
        APIField("card", serializer=SiteImageRenditionField(API_CARD, source="*")),
        APIField("large", serializer=SiteImageRenditionField(API_LARGE, source="*")),
    ]
    listing_default_fields = [
        *BaseAPIViewSet.listing_default_fields,
        "title",
        "card",
        "large",
        "dominant_colour",
        "placeholder",
    ]
    # Nested in pages (a product's hero_image): no renditions unless asked for, so a page
    # listing makes no rendition queries per product; the placeholder is on the image's row.
    nested_default_fields = [
        *BaseAPIViewSet.nested_default_fields,
        "title",
        "width",
        "height",
        "dominant_colour",
        "placeholder",
    ]
    name = "images"
    model = get_image_model()

    def prepare(self, queryset):
        # Expired images are not shown (cms/media/rights.py); one query for the renditions
        # of a whole page of results.
        return queryset.filter(rights.shown_filter()).prefetch_renditions(API_CARD, API_LARGE)


class DocumentDownloadURLField(Field):
    """The document's URL through Wagtail's serve view (privacy checks, safe headers), never
    the storage's, whatever WAGTAILDOCS_SERVE_METHOD says."""

    def get_attribute(self, instance):
        return instance

    def to_representation(self, document):
        path = reverse("wagtaildocs_serve", args=(document.id, document.filename))
        return get_full_url(self.context["request"], path)


class DocumentSerializer(BaseSerializer):
    download_url = DocumentDownloadURLField(read_only=True)


class PublicDocumentsAPIViewSet(PublicMediaAPIViewSet):
    """`/api/v2/documents/`: documents live public pages use, outside private collections,
    linked through Wagtail's serve view."""

    base_serializer_class = DocumentSerializer
    body_fields = [
        *BaseAPIViewSet.body_fields,
        "title",
        "page_count",
        # The first page's thumbnail (null without a preview: not a PDF, or none made).
        APIField("preview", serializer=SiteImageRenditionField(API_DOCUMENT_PREVIEW)),
    ]
    meta_fields = [*BaseAPIViewSet.meta_fields, "download_url"]
    listing_default_fields = [
        *BaseAPIViewSet.listing_default_fields,
        "title",
        "download_url",
        "page_count",
        "preview",
    ]
    nested_default_fields = [*BaseAPIViewSet.nested_default_fields, "title", "download_url"]
    name = "documents"
    model = get_document_model()

    def prepare(self, queryset):
        # The previews and their thumbnails for a whole page of results, in two queries.
        Image = get_image_model()
        return queryset.select_related("preview").prefetch_related(
            Prefetch(
                "preview__renditions",
                queryset=Image.get_rendition_model().objects.filter(
                    filter_spec=API_DOCUMENT_PREVIEW
                ),
                to_attr="prefetched_renditions",
            )
        )
