"""The demo catalogue: 24 products in 4 categories, each with a hero image, a gallery,
documents and specs, all from generated media. Idempotent: products are matched by SKU."""

from decimal import Decimal

from wagtail.models import Page

from cms.demo.generate import make_image, make_pdf
from cms.media.library import add_document, add_image
from home.models import HomePageFeaturedProduct
from products.models import (
    ProductCategory,
    ProductIndexPage,
    ProductPage,
    ProductRelatedProduct,
)

CATEGORIES = {
    "Chairs": [
        "Oak dining",
        "Walnut lounge",
        "Ash stacking",
        "Beech bar",
        "Cane side",
        "Elm rocking",
    ],
    "Tables": [
        "Oak dining",
        "Walnut coffee",
        "Steel desk",
        "Birch side",
        "Marble bistro",
        "Teak console",
    ],
    "Lighting": [
        "Brass floor",
        "Opal pendant",
        "Linen table",
        "Copper wall",
        "Glass globe",
        "Paper lantern",
    ],
    "Storage": [
        "Steel shelving",
        "Oak sideboard",
        "Pine chest",
        "Ash wardrobe",
        "Cherry bookcase",
        "Walnut cabinet",
    ],
}
NOUNS = {"Chairs": "chair", "Tables": "table", "Lighting": "lamp", "Storage": "unit"}
FORMATS = ["jpeg", "png", "webp"]
SHARED_DOCUMENTS = [
    ("Care guide", ["Dust with a dry cloth.", "Avoid direct sunlight.", "Oil once a year."]),
    ("Warranty terms", ["Five years on frames.", "Two years on fabrics and finishes."]),
]


def demo_products():
    """(sku, title, category) for every demo product, in a stable order."""
    for c_index, (category, names) in enumerate(CATEGORIES.items()):
        for p_index, name in enumerate(names):
            sku = f"{category[:2].upper()}-{1001 + p_index}"
            yield sku, f"{name} {NOUNS[category]}", category, c_index * 6 + p_index


def catalogue_index(home):
    index = ProductIndexPage.objects.child_of(home).first()
    if index:
        return index
    index = ProductIndexPage(
        title="Products", slug="products", intro="<p>Everything we make, with datasheets.</p>"
    )
    home.add_child(instance=index)
    index.save_revision().publish()
    return index


def load_catalogue(home, collection, user):
    """Create the demo catalogue under `home`; return (products created, images, documents)."""
    index = catalogue_index(home)
    existing = set(ProductPage.objects.values_list("sku", flat=True))
    counts = {"products": 0, "images": 0, "documents": 0}

    def image(label, alt, width, height, fmt):
        ext = "jpg" if fmt == "jpeg" else fmt
        filename = label.lower().replace(" ", "-") + "." + ext
        img, created = add_image(
            make_image(label, width, height, fmt),
            filename,
            title=label,
            description=alt,
            credit="Generated for the demo, CC0",
            collection=collection,
            user=user,
        )
        counts["images"] += created
        return img

    def document(title, lines):
        filename = title.lower().replace(" ", "-") + ".pdf"
        doc, created = add_document(
            make_pdf(title, lines), filename, title=title, collection=collection, user=user
        )
        counts["documents"] += created
        return doc

    shared_docs = [document(title, lines) for title, lines in SHARED_DOCUMENTS]
    products = list(demo_products())
    for sku, title, category_name, n in products:
        if sku in existing:
            continue
        category, _ = ProductCategory.objects.get_or_create(
            slug=category_name.lower(), defaults={"name": category_name}
        )
        hero = image(title, f"{title}, front view", 1200, 800, FORMATS[n % 3])
        # Gallery views are shared by the products of a category: fewer files to render.
        gallery = [
            image(f"{category_name} {view}", f"{category_name}: {view}", width, height, FORMATS[i])
            for i, (view, width, height) in enumerate(
                [("side view", 1000, 750), ("detail", 750, 1000), ("in a room", 1200, 700)]
            )
        ]
        datasheet = document(
            f"{title} datasheet", [f"SKU: {sku}", f"Category: {category_name}", "Made in Europe."]
        )
        page = ProductPage(
            title=title,
            sku=sku,
            summary=f"{title}, made to last. Comes with a datasheet and a care guide.",
            price=Decimal(89 + n * 17) + Decimal("0.50") * (n % 2),
            category=category,
            hero_image=hero,
            live=False,
        )
        page.body = [
            {"type": "heading", "value": "Craftsmanship"},
            {"type": "paragraph", "value": f"<p>Each {title.lower()} is finished by hand.</p>"},
            {
                "type": "image",
                "value": {
                    "image": {"image": gallery[0].pk, "alt_text": "", "decorative": True},
                    "caption": "Every joint is glued and pinned.",
                },
            },
            {
                "type": "gallery",
                "value": [
                    {"image": img.pk, "alt_text": img.description, "decorative": False}
                    for img in [hero, *gallery]
                ],
            },
            {"type": "heading", "value": "Downloads"},
            {
                "type": "documents",
                "value": [
                    {"document": datasheet.pk, "title": ""},
                    *({"document": doc.pk, "title": ""} for doc in shared_docs),
                ],
            },
            {
                "type": "specs",
                "value": [
                    {"name": "Width", "value": f"{40 + n} cm"},
                    {"name": "Height", "value": f"{60 + 2 * n} cm"},
                    {"name": "Weight", "value": f"{3 + n % 7} kg"},
                ],
            },
        ]
        ProductPage.body.field.stream_block.clean(page.body)
        index.add_child(instance=page)
        page.tags.add(category_name.lower(), "demo")
        page.save_revision(user=user).publish(user=user)
        counts["products"] += 1

    link_related(products)
    return index, counts


def link_related(products):
    """Each product without related products gets the next two of its category."""
    pages = {p.sku: p for p in ProductPage.objects.all()}
    by_category = {}
    for sku, _, category, _ in products:
        by_category.setdefault(category, []).append(sku)
    for skus in by_category.values():
        for i, sku in enumerate(skus):
            page = pages.get(sku)
            if page is None or page.related_products.exists():
                continue
            for order, other in enumerate((skus[(i + 1) % len(skus)], skus[(i + 2) % len(skus)])):
                page.related_products.add(
                    ProductRelatedProduct(product=pages[other], sort_order=order)
                )
            page.save_revision().publish()


def feature_products(home: Page, count=6):
    """Feature the first products on the home page, unless it already features some."""
    if home.featured_products.exists():
        return False
    for order, product in enumerate(ProductPage.objects.live().order_by("sku")[:count]):
        home.featured_products.add(HomePageFeaturedProduct(product=product, sort_order=order))
    home.save_revision().publish()
    return True
