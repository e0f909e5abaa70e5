"""Search and reference index updates for a batch of saves (an import), in bulk after it commits.

Wagtail queues a background task for every save of a model the search index holds
(modelsearch) and another for every save of a model the reference index tracks: importing
1,000 products saves some 7,000 objects, queued as about 19,000 tasks of one object each,
which cost the import a tenth of its time and the task worker far more. Inside
`batched_index_updates()` saves are recorded instead, and once the transaction commits one
task per model (`update_indexes`) brings both indexes up to date for every object saved.

The models an import saves most (product pages, images, documents) set Wagtail's switch
`search_auto_update = False`, and their search indexing is done here instead: outside a batch
exactly as modelsearch does it (a task per save, removal on delete). The reference index has
its own switch, `disable_reference_index_auto_update`, used for the batch.
"""

import threading
from collections import defaultdict
from contextlib import contextmanager

from django.apps import apps
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django_tasks import task
from modelcluster.fields import ParentalKey
from modelsearch import index
from modelsearch.tasks import insert_or_update_object_task
from wagtail.models import ReferenceIndex
from wagtail.signal_handlers import disable_reference_index_auto_update

TASK_CHUNK = 500  # objects per task

_batch = threading.local()


@contextmanager
def batched_index_updates():
    """Record saves instead of queueing a task per save; queue the index updates on commit.
    Nested batches join the outer one."""
    if getattr(_batch, "saved", None) is not None:
        yield
        return
    saved = _batch.saved = defaultdict(set)
    try:
        with disable_reference_index_auto_update():
            yield
    finally:
        _batch.saved = None
    transaction.on_commit(lambda: queue_updates(saved))


def queue_updates(saved):
    for label, pks in sorted(saved.items()):
        pks = sorted(pks)
        for start in range(0, len(pks), TASK_CHUNK):
            update_indexes.enqueue(label, pks[start : start + TASK_CHUNK])


@task()
def update_indexes(label, pks):
    """Bring the search index and the reference index up to date for these objects of one
    model (those deleted since are skipped)."""
    model = apps.get_model(label)
    searched = index.class_is_indexed(model)
    referencing = ReferenceIndex.is_indexed(model)
    for instance in model.objects.filter(pk__in=pks):
        if referencing:
            with transaction.atomic():  # create_or_update_for_object requires one
                ReferenceIndex.create_or_update_for_object(instance)
        if searched:
            index.insert_or_update_object(instance)


def record_save(sender, instance, raw=False, **kwargs):
    saved = getattr(_batch, "saved", None)
    if saved is None or raw:
        return
    model = type(instance)
    if model in ReferenceIndex.tracked_models and not ReferenceIndex.is_indexed(model):
        # A child row (a page's related product): its parent's references change, as in
        # Wagtail's own task (wagtail/tasks.py).
        for field in model._meta.get_fields():
            if isinstance(field, ParentalKey):
                parent_pk = getattr(instance, field.attname)
                if parent_pk is not None:
                    saved[field.related_model._meta.label_lower].add(parent_pk)
                return
    if index.class_is_indexed(model) or ReferenceIndex.is_indexed(model):
        saved[model._meta.label_lower].add(instance.pk)


def index_on_save(sender, instance, raw=False, **kwargs):
    """modelsearch's own post_save handler, for models with `search_auto_update = False`."""
    if raw or getattr(_batch, "saved", None) is not None:
        return  # a batch indexes it after the commit
    insert_or_update_object_task.enqueue(
        instance._meta.app_label, instance._meta.model_name, str(instance.pk)
    )


def remove_on_delete(sender, instance, **kwargs):
    """modelsearch's own post_delete handler, for the same models."""
    index.remove_object(instance)


def register():
    post_save.connect(record_save, dispatch_uid="index-batch-record-save")
    for model in index.get_indexed_models():
        if getattr(model, "search_auto_update", True) is False:
            post_save.connect(index_on_save, sender=model)
            post_delete.connect(remove_on_delete, sender=model)
