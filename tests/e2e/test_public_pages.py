"""The five public pages a visitor meets, with the demo content: zero axe-core violations
(injected into the page, at desktop and phone widths) and zero Nu HTML Checker errors."""

import json
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from wagtail.images import get_image_model

from cms.media.rendition_sets import add_placeholder
from products.models import ProductPage

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CHECKERS = Path(__file__).parent / "node_modules"  # `make browser` installs them (npm ci)
AXE = CHECKERS / "axe-core" / "axe.min.js"
VNU = CHECKERS / "vnu-jar" / "build" / "dist" / "vnu.jar"
WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.fixture
def demo_pages(site_url, settings):
    # Renditions are made as the pages ask for them, not for all 43 demo images up front.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    call_command("load_demo", stdout=StringIO())
    # Pictures as visitors see them once the upload tasks have run: over their placeholders.
    for image in get_image_model().objects.all():
        add_placeholder(image)
    # The demo product with the most to check: gallery (lightbox), documents and specs.
    product = next(
        page
        for page in ProductPage.objects.live().order_by("path")
        if {"gallery", "documents", "specs"} <= {block.block_type for block in page.body}
    )
    return {
        "home": "/",
        "listing": "/products/",
        "product": product.url,
        "search": "/search/?q=oak",
        "404": "/no-such-page/",
    }


def axe_violations(page):
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """axe.run().then(result => result.violations.map(v =>
               `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map(n => n.target.join(' '))}`))"""
    )


def html_errors(files):
    """The Nu HTML Checker's errors for each file, as readable lines."""
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--format", "json", "--stdout", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    messages = json.loads(result.stdout)["messages"]
    return [
        f"{Path(m.get('url', '?')).stem} line {m.get('lastLine', '?')}: {m['message']}"
        for m in messages
        if m["type"] in ("error", "non-document-error")
    ]


def test_public_pages_are_accessible_and_valid(
    browser, page, site_url, demo_pages, settings, tmp_path
):
    settings.DEBUG = False  # the site's own 404 page, not Django's debug page
    # The site's Content-Security-Policy holds on its own pages: in a context that enforces
    # it (the `page` fixture's bypasses it), the browser reports nothing.
    strict = browser.new_context().new_page()
    csp_reports = []
    strict.on(
        "console", lambda m: "Content Security Policy" in m.text and csp_reports.append(m.text)
    )
    violations = {}
    files = []
    for name, path in demo_pages.items():
        response = strict.goto(site_url + path)
        assert response.status == (404 if name == "404" else 200), name
        assert "script-src 'self'" in response.headers["content-security-policy"]
        files.append(tmp_path / f"{name}.html")
        files[-1].write_bytes(response.body())
        for width_name, width in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(site_url + path)
            found = axe_violations(page)  # injected as an inline script: needs the bypass
            if found:
                violations[f"{name} ({width_name})"] = found
    # The reports at once, so one failure does not hide another.
    assert {"axe": violations, "html": html_errors(files), "csp": csp_reports} == {
        "axe": {},
        "html": [],
        "csp": [],
    }
