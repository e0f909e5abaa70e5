"""Demo content: a local superuser (only with DEBUG on), a "Demo" collection of generated
images and PDFs, a home page that shows one of them, and a catalogue of 24 products
(cms/demo/catalogue.py).
Idempotent: a second run finds everything by name, SKU or content hash.

Files are written through the models' storage (default_storage), so this works on S3 too.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from wagtail.models import Collection

from cms.demo.catalogue import feature_products, load_catalogue
from cms.demo.generate import make_image, make_pdf
from cms.media.library import add_document, add_image
from cms.media.previews import queue_missing_previews
from home.models import HomePage

DEMO_COLLECTION = "Demo"
CREDIT = "Generated for the demo, CC0"

# (title, alt text, width, height, format)
DEMO_IMAGES = [
    ("Workshop", "A warm, open furniture workshop with benches", 2400, 1000, "jpeg"),
    ("Oak dining chair", "Oak dining chair seen from the front", 1600, 1067, "jpeg"),
    ("Walnut side table", "Round walnut side table on a rug", 1200, 1200, "png"),
    ("Linen armchair", "Grey linen armchair beside a window", 1920, 1080, "webp"),
    ("Brass floor lamp", "Tall brass floor lamp with a white shade", 800, 1200, "jpeg"),
    ("Wool rug", "Striped wool rug in blue and cream", 1000, 750, "png"),
    ("Steel shelving", "Black steel shelving unit holding books", 1400, 933, "webp"),
]

# (title, lines of text)
DEMO_DOCUMENTS = [
    ("Assembly manual", ["1. Unpack all parts.", "2. Fit the legs to the frame.", "3. Tighten."]),
    ("Care guide", ["Dust with a dry cloth.", "Avoid direct sunlight.", "Oil once a year."]),
    ("Product datasheet", ["Materials: solid oak, steel.", "Dimensions: 92 x 45 x 50 cm."]),
]


@dataclass
class DemoReport:
    admin_username: str | None  # None: DEBUG is off, no demo superuser
    admin_password: str | None  # set only when this run created the user
    images_created: int = 0
    documents_created: int = 0
    products_created: int = 0
    messages: list[str] = field(default_factory=list)


def slugify_filename(title, extension):
    return title.lower().replace(" ", "-") + "." + extension


def ensure_superuser():
    """The local superuser, created with the configured credentials if missing; with DEBUG
    off, none at all (`(None, None)`): its password is published in the README."""
    if not settings.DEBUG:
        return None, None
    User = get_user_model()
    username = settings.DEMO_ADMIN_USERNAME
    user = User.objects.filter(username=username).first()
    if user:
        return user, None
    password = settings.DEMO_ADMIN_PASSWORD
    user = User.objects.create_superuser(username, f"{username}@example.com", password)
    return user, password


def ensure_collection(name):
    root = Collection.get_first_root_node()
    existing = root.get_children().filter(name=name).first()
    return existing or root.add_child(name=name)


@transaction.atomic
def load_demo():
    """Create (or find) the demo content; return what was done."""
    user, password = ensure_superuser()
    report = DemoReport(
        admin_username=user.get_username() if user else None, admin_password=password
    )
    collection = ensure_collection(DEMO_COLLECTION)

    images = {}
    for title, alt, width, height, fmt in DEMO_IMAGES:
        content = make_image(title, width, height, fmt)
        image, created = add_image(
            content,
            slugify_filename(title, "jpg" if fmt == "jpeg" else fmt),
            title=title,
            description=alt,
            credit=CREDIT,
            collection=collection,
            user=user,
        )
        images[title] = image
        report.images_created += created

    for title, lines in DEMO_DOCUMENTS:
        content = make_pdf(title, lines)
        _, created = add_document(
            content, slugify_filename(title, "pdf"), title=title, collection=collection, user=user
        )
        report.documents_created += created

    home = HomePage.objects.get()
    if home.hero_image_id != images["Workshop"].pk:
        home.hero_image = images["Workshop"]
        home.save_revision(user=user).publish(user=user)
        report.messages.append("Home page hero image set.")

    _, counts = load_catalogue(home, collection, user)
    report.products_created = counts["products"]
    report.images_created += counts["images"]
    report.documents_created += counts["documents"]
    if feature_products(HomePage.objects.get()):
        report.messages.append("Featured products added to the home page.")
    # Documents of an older demo database, loaded before previews existed, get theirs too.
    queue_missing_previews()
    return report
