"""The catalogue: categories, the product listing page and product pages."""

import json
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Page as PaginatorPage
from django.core.paginator import Paginator
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils.functional import cached_property
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail.admin.panels import (
    FieldPanel,
    InlinePanel,
    ObjectList,
    TabbedInterface,
    TitleFieldPanel,
)
from wagtail.api import APIField
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from cms.canonical_urls import BareUrlPage, has_query, redirect_to_query
from cms.media import rights
from cms.media.api_fields import ShownImageField, SiteImageRenditionField
from cms.media.crop_fields import FocalPointInput, FocalPointModelField, check_inside
from cms.media.crops import for_use
from cms.media.models import DocumentText
from cms.media.pictures import rendition_url
from cms.media.prefetch import prefetch_renditions
from cms.media.renditions import (
    API_CARD,
    API_LARGE,
    BODY,
    CARD,
    DOCUMENT_THUMB,
    GALLERY_LARGE,
    GALLERY_THUMB,
    HERO,
    OG_IMAGE,
)
from cms.site_urls import absolute_url
from products.blocks import ProductBodyBlock

SKU_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"


class ProductCategory(models.Model):
    """A snippet: products belong to at most one category."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)

    panels = [FieldPanel("name"), FieldPanel("slug")]

    class Meta:
        ordering = ["name"]
        verbose_name = "product category"
        verbose_name_plural = "product categories"

    def __str__(self):
        return self.name


class ProductPageTag(TaggedItemBase):
    content_object = ParentalKey(
        "products.ProductPage", related_name="tagged_items", on_delete=models.CASCADE
    )


class ProductIndexPage(Page):
    """The product listing: cards, filtered by category, sorted by title or newest."""

    intro = RichTextField(blank=True, features=["bold", "italic", "link"])

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["products.ProductPage"]

    PER_PAGE = 24
    SORTS = {"title": ("title", "Title"), "newest": ("-first_published_at", "Newest")}

    def products(self):
        """Live products under this listing, with what a card needs in the same query."""
        return (
            ProductPage.objects.live()
            .public()
            .child_of(self)
            .select_related("hero_image", "category")
        )

    def route(self, request, path_components):
        # Wagtail's routing loads a child as a generic Page, then its specific row, then each
        # foreign key on use: fetch the product with its hero image and category in one query.
        if len(path_components) == 1:
            product = self.products_by_slug(path_components[0])
            if product is None:
                raise Http404
            product._cached_parent_obj = self
            return product.route(request, [])
        return super().route(request, path_components)

    def products_by_slug(self, slug):
        return (
            ProductPage.objects.child_of(self)
            .select_related("hero_image", "category")
            .filter(slug=slug)
            .first()
        )

    def listing(self, request):
        """What the request asks the listing for, as far as it is valid (ProductListing)."""
        given = request.GET
        categories = list(ProductCategory.objects.filter(products__live=True).distinct())
        category = next((c for c in categories if c.slug == given.get("category")), None)
        sort = given.get("sort") if given.get("sort") in self.SORTS else None
        products = self.products()
        if category:
            products = products.filter(category=category)
        products = products.order_by(self.SORTS[sort or "title"][0], "pk")
        page_obj, page_param = paginate(products, given.get("page"), self.PER_PAGE)
        params = [("category", category.slug)] if category else []
        params += [("sort", sort)] if sort else []
        params += [("page", page_param)] if page_param else []
        return ProductListing(categories, category, sort or "title", page_obj, params)

    def serve(self, request, *args, **kwargs):
        # A query string other than the one the listing would write itself (an unknown
        # category or parameter, a sort not offered, a page that is no number in range) is
        # a permanent redirect to the listing it shows instead: one cached copy per listing,
        # and old links (a category emptied, a page past the end) still land somewhere useful.
        listing = self.listing(request)
        if has_query(request) and request.META["QUERY_STRING"] != urlencode(listing.params):
            return redirect_to_query(request, listing.params)
        request.is_preview = False
        context = self.get_context(request, *args, listing=listing, **kwargs)
        return TemplateResponse(request, self.get_template(request, *args, **kwargs), context)

    def get_context(self, request, *args, listing=None, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        listing = listing or self.listing(request)
        page_obj = listing.page
        prefetch_renditions((hero_images(page_obj), [CARD]))
        filters = {"category": listing.category.slug} if listing.category else {}
        if listing.sort != "title":
            filters["sort"] = listing.sort
        context.update(
            products=page_obj,
            categories=listing.categories,
            current_category=listing.category,
            sort=listing.sort,
            sorts={key: label for key, (_, label) in self.SORTS.items()},
            query_prefix=urlencode(filters) + "&" if filters else "",
            breadcrumbs=breadcrumbs(self),
            catalogue=self,
        )
        return context


@dataclass(frozen=True)
class ProductListing:
    """A listing request, validated: `params` is its canonical query, in nginx's order."""

    categories: list
    category: ProductCategory | None
    sort: str
    page: PaginatorPage
    params: list


def breadcrumbs(page):
    """The page's ancestors below the tree root, from the parents cached by routing."""
    trail = []
    while page.depth > 2:
        page = page.get_parent()
        trail.insert(0, page)
    return trail


def paginate(items, raw_number, per_page):
    """The page of `items` that `?page=<raw_number>` shows, and how the canonical URL writes
    its number (None: no page parameter). A number past the end shows the last page; anything
    else that is not a positive number of ASCII digits shows the first."""
    paginator = Paginator(items, per_page)
    if raw_number and raw_number.isascii() and raw_number.isdigit() and int(raw_number) > 0:
        number = min(int(raw_number), paginator.num_pages)
        # Written as asked (page=1 included, as the pagination links write it), else only
        # when it is not the first.
        written = number > 1 or raw_number == "1"
        return paginator.page(number), str(number) if written else None
    return paginator.page(1), None


class ProductPage(BareUrlPage, Page):
    sku = models.CharField(
        "SKU",
        max_length=64,
        unique=True,
        validators=[
            RegexValidator(
                SKU_PATTERN, "An SKU is 1–64 letters, digits, dots, underscores or hyphens."
            )
        ],
        help_text="Stock-keeping unit: unique across the site, e.g. CH-1001.",
    )
    summary = models.TextField(
        max_length=1000, blank=True, help_text="One or two sentences for cards and search."
    )
    price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Leave empty when the product has no public price.",
    )
    category = models.ForeignKey(
        ProductCategory,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="products",
    )
    tags = ClusterTaggableManager(through=ProductPageTag, blank=True)
    hero_image = models.ForeignKey(
        "media.CustomImage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The main photo, at the top of the page and on cards. Its alt text is the "
        "image's own (its description) unless you give one below.",
    )
    hero_alt = models.CharField(
        "hero alt text",
        max_length=255,
        blank=True,
        help_text="Alt text for the hero on this page only; leave empty to use the image's own.",
    )
    # The hero's own focal area on this page (cms/media/crops.py), over the image's own:
    # {"x", "y", "width", "height"}, or null to follow the image.
    hero_focal_point = FocalPointModelField("hero crop", null=True, blank=True)
    crop_fields = {"hero_image": "hero_focal_point"}  # image field: its crop (cms/media/merge.py)
    body = StreamField(ProductBodyBlock(), blank=True)

    content_panels = [
        # TitleFieldPanel, as in Page.content_panels: it fills the slug while the title is typed.
        TitleFieldPanel(
            "title", help_text="The product's name, as shown on its page and in lists."
        ),
        FieldPanel("summary"),
        FieldPanel(
            "body",
            help_text="The page below the hero: text, images, galleries, downloads and specs.",
        ),
        InlinePanel(
            "related_products",
            label="Related products",
            help_text="Shown as cards at the foot of the page, in this order.",
        ),
    ]
    media_panels = [
        FieldPanel("hero_image"),
        FieldPanel("hero_alt"),
        FieldPanel("hero_focal_point", widget=FocalPointInput(use="hero")),
    ]
    # Wagtail 8's own page settings (privacy, schedule) live in the side panels; this tab holds
    # the product's catalogue data.
    settings_panels = [
        FieldPanel("sku"),
        FieldPanel("price"),
        FieldPanel("category", help_text="Categories are managed under Categories."),
        FieldPanel("tags", help_text="Words that help visitors find the product."),
        *Page.settings_panels,
    ]
    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading="Content"),
            ObjectList(media_panels, heading="Media"),
            ObjectList(Page.promote_panels, heading="Promote"),
            ObjectList(settings_panels, heading="Settings"),
        ]
    )

    search_auto_update = False  # indexed by cms/index_batch.py (in bulk during an import)
    search_fields = [
        *Page.search_fields,
        index.SearchField("sku_search_terms", boost=5),
        index.AutocompleteField("sku"),
        index.SearchField("summary"),
        index.SearchField("body"),
        index.SearchField("datasheet_text"),
        index.FilterField("category"),
    ]

    def listed_document_ids(self):
        """Primary keys of the documents the body's documents blocks list, from the stored
        JSON (no query)."""
        return listed_document_ids(self.body.raw_data)

    def datasheet_text(self):
        """The text of the PDFs the body lists (cms/media/previews.py stores it): a product
        is found by a word that only its datasheet holds."""
        ids = self.listed_document_ids()
        if not ids:
            return ""
        texts = DocumentText.objects.filter(document_id__in=ids).order_by("document_id")
        return "\n".join(texts.values_list("text", flat=True))

    def sku_search_terms(self):
        """The SKU as written and in parts ("TB-2002 TB 2002"): every search backend then finds
        it, however it splits "TB-2002" (PostgreSQL's parser reads "-2002" as a number)."""
        return " ".join([self.sku, *re.split(r"[^0-9A-Za-z]+", self.sku)])

    api_fields = [
        APIField("sku"),
        APIField("summary"),
        APIField("price"),
        APIField("category_name"),
        APIField("tags"),
        # The hero a visitor sees: an expired one is replaced as on the page (shown_hero),
        # cropped as this page crops it (hero_focal_point).
        APIField("hero_image", serializer=ShownImageField(source="shown_hero")),
        APIField("hero_focal_point"),
        APIField(
            "hero_card", serializer=SiteImageRenditionField(API_CARD, source="shown_hero_for_use")
        ),
        APIField(
            "hero_large",
            serializer=SiteImageRenditionField(API_LARGE, source="shown_hero_for_use"),
        ),
        APIField("body"),
    ]

    parent_page_types = ["products.ProductIndexPage"]
    subpage_types = []

    @property
    def hero_image_for_use(self):
        """The hero as this page shows it: cropped around the page's own focal point when it
        has one (cms/media/crops.py), else the image itself."""
        return for_use(self.hero_image, self.hero_focal_point)

    @property
    def shown_hero_for_use(self):
        """`shown_hero` with the page's own crop when it is the hero image itself."""
        hero = self.shown_hero
        return self.hero_image_for_use if hero is not None and hero is self.hero_image else hero

    @property
    def category_name(self):
        return self.category.name if self.category else None

    def clean(self):
        super().clean()
        if self.hero_focal_point and self.hero_image_id:
            try:
                check_inside(self.hero_focal_point, self.hero_image)
            except ValidationError as error:
                raise ValidationError({"hero_focal_point": error}) from error
        if self.sku:
            clash = ProductPage.objects.filter(sku=self.sku).exclude(pk=self.pk).first()
            if clash:
                raise ValidationError(
                    {"sku": f"The SKU “{self.sku}” is already used by “{clash.title}”."}
                )

    def validate_unique(self, exclude=None):
        # clean() has checked the SKU, with a message naming the product that has it.
        super().validate_unique(exclude={*(exclude or ()), "sku"})

    @cached_property
    def related_product_pages(self):
        """Related products in the editor's order, live ones only, with their hero images."""
        links = self.related_products.filter(product__live=True).select_related(
            "product", "product__hero_image", "product__category"
        )
        products = [link.product for link in links]
        hero_images(products)
        return products

    def body_document_previews(self):
        """The preview images of the documents the body lists (loaded with the documents)."""
        return [
            link.preview()
            for block in self.body
            if block.block_type == "documents"
            for link in block.value
            if link["document"] is not None
        ]

    def body_images(self):
        """The image instances the body renders (each use is its own instance): those of image
        blocks and those of galleries, which are rendered with different specs."""
        in_image_blocks, in_galleries = [], []
        for block in self.body:
            if block.block_type == "image":
                in_image_blocks.append(block.value["image"])
            elif block.block_type == "gallery":
                in_galleries.extend(block.value)
        return in_image_blocks, in_galleries

    @cached_property
    def shown_hero(self):
        """The hero visitors see: the hero image, or once it has expired the body's first
        image still shown (image blocks and galleries, in order; cms/media/rights.py), or
        None. From the images the page loads anyway: no query of its own."""
        if self.hero_image is None or rights.is_shown(self.hero_image):
            return self.hero_image
        return rights.first_shown(
            *(
                image
                for block in self.body
                if block.block_type in ("image", "gallery")
                for image in (
                    [block.value["image"]] if block.block_type == "image" else block.value
                )
            )
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        self.hero_image = self.hero_image_for_use
        if self.hero_image and self.hero_alt:
            self.hero_image.contextual_alt_text = self.hero_alt
        in_image_blocks, in_galleries = self.body_images()
        # One query for every rendition the page shows, however many images it has; only the
        # specs each image is rendered with.
        prefetch_renditions(
            ([self.shown_hero], [HERO, OG_IMAGE]),
            (in_image_blocks, [BODY]),
            (in_galleries, [GALLERY_THUMB, GALLERY_LARGE]),
            (self.body_document_previews(), [DOCUMENT_THUMB]),
            ([p.hero_image for p in self.related_product_pages], [CARD]),
        )
        context.update(
            json_ld=self.json_ld(request),
            breadcrumbs=breadcrumbs(self),
            catalogue=self.get_parent(),
            related_products=self.related_product_pages,
        )
        return context

    def json_ld(self, request):
        """schema.org Product data, escaped for a <script> element."""
        data = {
            "@context": "https://schema.org",
            "@type": "Product",
            "name": self.title,
            "sku": self.sku,
            "url": self.get_full_url(request),
        }
        if self.summary:
            data["description"] = self.summary
        if self.shown_hero:
            data["image"] = [absolute_url(rendition_url(self.shown_hero, OG_IMAGE), request)]
        if self.category:
            data["category"] = self.category.name
        if self.price is not None:
            data["offers"] = {
                "@type": "Offer",
                "price": str(self.price),
                "priceCurrency": settings.CATALOGUE_CURRENCY,
                "availability": "https://schema.org/InStock",
            }
        return json.dumps(data, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES)


def hero_images(products):
    """The hero of each product as its cards show it (its own crop applied, in place), for
    prefetching: None where a product has none."""
    for product in products:
        if product.hero_image is not None and product.hero_focal_point:
            product.hero_image = product.hero_image_for_use
    return [product.hero_image for product in products]


def listed_document_ids(raw_body):
    """Document ids in the raw JSON of a product body's documents blocks, in order, once each.
    A list block's items are stored as `{"type": "item", "value": ...}` (older rows: bare)."""
    ids = []
    for block in raw_body or []:
        if block.get("type") != "documents":
            continue
        for item in block.get("value") or []:
            link = item.get("value", item) if item.get("type") == "item" else item
            if isinstance(link, dict) and isinstance(link.get("document"), int):
                ids.append(link["document"])
    return list(dict.fromkeys(ids))


# As Django's json_script: nothing in the JSON can close the <script> element.
JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


class ProductRelatedProduct(Orderable):
    page = ParentalKey(ProductPage, related_name="related_products", on_delete=models.CASCADE)
    product = models.ForeignKey(ProductPage, on_delete=models.CASCADE, related_name="+")

    panels = [FieldPanel("product")]

    def clean(self):
        if self.product_id and self.product_id == self.page_id:
            raise ValidationError({"product": "A product cannot be related to itself."})


# Imports run as background jobs (products/jobs/); the model lives with the rest of that code.
from products.jobs.models import ImportJob  # noqa: E402, F401
