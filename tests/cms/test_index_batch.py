"""Index updates of an import come in bulk after its commit (cms/index_batch.py): one task per
model instead of a search task and a reference task for every save, and what they index is
what Wagtail's own tasks would have indexed."""

import pytest
from django.test import TestCase
from modelsearch.tasks import insert_or_update_object_task
from wagtail.models import ReferenceIndex
from wagtail.tasks import update_reference_index_task

from cms.index_batch import update_indexes
from products.catalogue.importer import import_bundle
from products.models import ProductPage
from tests.products.catalogue_helpers import MANIFEST, write_bundle

pytestmark = pytest.mark.django_db


def tasks_named(backend, task):
    return [result.args for result in backend.results if result.task.name == task.name]


def test_an_import_queues_one_index_update_per_model_after_its_commit(tmp_path, catalogue, queued):
    bundle = write_bundle(tmp_path / "b", MANIFEST)
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        report = import_bundle(bundle)
        assert report.ok, report.errors
        assert tasks_named(queued, update_indexes) == []  # nothing before the commit
    for callback in callbacks:
        callback()
    # No task per save (there were 19 per product) ...
    assert tasks_named(queued, insert_or_update_object_task) == []
    assert tasks_named(queued, update_reference_index_task) == []
    # ... one per model, naming every object the import saved.
    updates = dict(tasks_named(queued, update_indexes))
    pages = sorted(ProductPage.objects.values_list("pk", flat=True))
    assert updates["products.productpage"] == pages
    assert len(updates["media.customimage"]) == report.images["created"]
    assert len(updates["media.customdocument"]) == report.documents["created"]


def test_the_bulk_update_indexes_what_wagtail_would(tmp_path, catalogue, queued):
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert import_bundle(write_bundle(tmp_path / "b", MANIFEST)).ok
    chair = ProductPage.objects.get(sku="CH-1001")
    assert list(ProductPage.objects.search("oak")) == []  # not indexed until the task runs
    ReferenceIndex.objects.all().delete()
    for label, pks in tasks_named(queued, update_indexes):
        update_indexes.call(label, pks)
    assert chair in ProductPage.objects.search("oak")
    used = {
        (r.to_content_type.model, r.to_object_id)
        for r in ReferenceIndex.get_references_for_object(chair)
    }
    assert ("customimage", str(chair.hero_image_id)) in used


def test_a_save_outside_an_import_queues_its_own_search_update(catalogue, queued):
    page = ProductPage(title="Lone stool", slug="lone-stool", sku="LS-1")
    catalogue.add_child(instance=page)
    assert ["products", "productpage", str(page.pk)] in tasks_named(
        queued, insert_or_update_object_task
    )
