"""A document is refreshed in the edge cache when it turns private by any admin path, and only
then: moving its collection under a private one refreshes the documents of that collection and
of those below it; a restriction refreshes them when it is added, not when it is removed or
changed among private kinds (the copies nginx holds then are the private answers already,
stored expired). Through nginx: tests/scale/."""

import pytest
from wagtail.contrib.frontend_cache.backends import BaseBackend
from wagtail.models import Collection, CollectionViewRestriction

from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db


class RecordingBackend(BaseBackend):
    """A frontend cache that records the URLs it is asked to refresh."""

    refreshed = []

    def purge(self, url):
        self.refreshed.append(url)


@pytest.fixture
def refreshed_by(settings, client, admin_user, django_capture_on_commit_callbacks):
    """Run an admin request as a superuser, commit, and say which URLs were refreshed."""
    settings.WAGTAILFRONTENDCACHE = {
        "test": {"BACKEND": "tests.media.test_document_refresh.RecordingBackend"}
    }
    client.force_login(admin_user)

    def refreshed_by(path, data):
        RecordingBackend.refreshed = []
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(path, data)
        assert response.status_code in (200, 302), response.content[:2000]
        return set(RecordingBackend.refreshed)

    return refreshed_by


@pytest.fixture
def tree():
    """Root ─ Private (login only), Manuals ─ Old manuals, Elsewhere; a document in each public
    one."""
    root = Collection.get_first_root_node()
    private = root.add_child(name="Private")
    CollectionViewRestriction.objects.create(collection=private, restriction_type="login")
    manuals = root.add_child(name="Manuals")
    old = manuals.add_child(name="Old manuals")
    elsewhere = root.add_child(name="Elsewhere")
    return {
        "private": private,
        "manuals": manuals,
        "old": old,
        "elsewhere": elsewhere,
        "manual": DocumentFactory(collection=manuals, title="Manual"),
        "old_manual": DocumentFactory(collection=old, title="Old manual"),
        "other": DocumentFactory(collection=elsewhere, title="Other"),
    }


def url(document):
    return f"http://localhost{document.url}"


def edit_collection(collection, name, parent):
    return f"/admin/collections/{collection.pk}/", {"name": name, "parent": parent.pk}


def test_moving_a_collection_under_a_private_one_refreshes_its_documents_and_those_below(
    client, refreshed_by, tree
):
    t = tree
    # Renamed, or moved where it stays public: who may read its documents has not changed.
    assert refreshed_by(*edit_collection(t["manuals"], "Handbooks", t["elsewhere"])) == set()

    refreshed = refreshed_by(*edit_collection(t["manuals"], "Handbooks", t["private"]))
    assert refreshed == {url(t["manual"]), url(t["old_manual"])}
    t["manuals"].refresh_from_db()
    assert t["manuals"].get_parent() == t["private"]
    client.logout()
    assert client.get(t["manual"].url).status_code == 302  # to the login page
    assert client.get(t["old_manual"].url).status_code == 302


def set_privacy(collection, restriction_type, password=""):
    return f"/admin/collections/{collection.pk}/privacy/", {
        "restriction_type": restriction_type,
        "password": password,
    }


def test_a_restriction_refreshes_documents_only_when_they_turn_private(refreshed_by, tree):
    t = tree
    everything_below = {url(t["manual"]), url(t["old_manual"])}
    assert refreshed_by(*set_privacy(t["manuals"], "password", "first")) == everything_below
    assert CollectionViewRestriction.objects.filter(collection=t["manuals"]).exists()

    # Private before and after: a new password, another kind of restriction.
    assert refreshed_by(*set_privacy(t["manuals"], "password", "second")) == set()
    assert refreshed_by(*set_privacy(t["manuals"], "login")) == set()
    # Public again: the cached copies are the private answers, stored expired.
    assert refreshed_by(*set_privacy(t["manuals"], "none")) == set()
    assert not CollectionViewRestriction.objects.filter(collection=t["manuals"]).exists()

    assert refreshed_by(*set_privacy(t["elsewhere"], "login")) == {url(t["other"])}
