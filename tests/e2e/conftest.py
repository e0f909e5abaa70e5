"""Browser tests: Debian's Chromium driven by Playwright, against pytest-django's live server.

Chromium always gets the loopback-only resolver rule: nothing may leave 127.0.0.1.

`make test` runs these in a pytest process of their own: after other transactional tests in
the same session, the live-server tests found the data migrations had made (home page,
groups) flushed and not restored, although each asks for a serialised rollback (seen with
pytest-django 4.14 and Wagtail 8.0). Alone, every test starts from the migrated database.
"""

import os

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the tests
# are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Playwright's waiting helpers evaluate strings, which the site's CSP forbids; the
    policy itself is checked in a context of its own (test_public_pages.py)."""
    return {**browser_context_args, "bypass_csp": True}


@pytest.fixture
def site_url(live_server, settings, reload_urls):
    """The live server's URL, with renditions served from MEDIA_URL as in development."""
    settings.DEBUG = True
    reload_urls()
    return live_server.url


@pytest.fixture
def screenshots(request):
    """Where the browser tests save screenshots: under the test output, never committed."""
    folder = request.config.rootpath / "test-output" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def images_load(page):
    """Collect every image response, so a test can assert none failed."""
    failures = []
    page.on(
        "response",
        lambda r: (
            failures.append((r.url, r.status))
            # 304: revalidated from the browser's cache, which holds it from an earlier 200.
            if r.request.resource_type == "image" and r.status not in (200, 304)
            else None
        ),
    )
    return failures


def assert_images_loaded(page, failures):
    """Every image on the page loads: lazy ones are made eager first, and the lightbox's
    empty <img> (no src until opened) is not an image to load."""
    page.evaluate(
        "document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')"
    )
    page.wait_for_function(
        "Array.from(document.images).filter(i => i.getAttribute('src')).every(i => i.complete)"
    )
    broken = page.evaluate(
        "Array.from(document.images).filter(i => i.getAttribute('src') && !(i.naturalWidth > 0))"
        ".map(i => i.currentSrc || i.src)"
    )
    assert broken == []
    assert failures == []
