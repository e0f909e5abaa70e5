from django.db import models
from django.db.models import Count, Q
from django.http import Http404
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page

from cms.canonical_urls import BareUrlPage
from cms.media.prefetch import prefetch_renditions
from cms.media.renditions import CARD


class HomePage(BareUrlPage, Page):
    """The site's root page: a welcome with a hero image, featured products and categories."""

    intro = RichTextField(
        blank=True,
        features=["bold", "italic", "link"],
        help_text="A short welcome shown under the title.",
    )
    hero_image = models.ForeignKey(
        "media.CustomImage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A wide photo at the top of the home page. Its description is the alt text.",
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("hero_image"),
        InlinePanel("featured_products", label="Featured products", max_num=12),
    ]

    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    def route(self, request, path_components):
        # Wagtail loads every page on the way to the requested one with its specific row; a
        # page passed through (e.g. the catalogue, for /products/<slug>/) routes with the fields
        # every Page has, so a deferred specific instance saves a query per request.
        if len(path_components) > 1:
            child = self.get_children().filter(slug=path_components[0]).first()
            if child is None:
                raise Http404
            child._cached_parent_obj = self
            return child.specific_deferred.route(request, path_components[1:])
        return super().route(request, path_components)

    def get_context(self, request, *args, **kwargs):
        from products.models import ProductCategory, ProductIndexPage, hero_images

        context = super().get_context(request, *args, **kwargs)
        links = self.featured_products.filter(product__live=True).select_related(
            "product", "product__hero_image", "product__category"
        )
        featured = [link.product for link in links]
        prefetch_renditions((hero_images(featured), [CARD]))
        context.update(
            featured_products=featured,
            catalogue=ProductIndexPage.objects.live().order_by("path").first(),
            categories=ProductCategory.objects.annotate(
                product_count=Count("products", filter=Q(products__live=True))
            ).filter(product_count__gt=0),
        )
        return context


class HomePageFeaturedProduct(Orderable):
    page = ParentalKey(HomePage, related_name="featured_products", on_delete=models.CASCADE)
    product = models.ForeignKey("products.ProductPage", on_delete=models.CASCADE, related_name="+")

    panels = [FieldPanel("product")]
