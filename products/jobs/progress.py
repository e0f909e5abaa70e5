"""The progress callback of a job's import: `import_bundle(..., progress=ProgressRecorder(job))`.

The importer calls it inside its transaction, after each product it writes. It does two
things there, at most once a second (and always on the first and last product):
- notices a cancel: the job row says `cancel_requested` -> raise ImportCancelled, and the
  import's transaction rolls back whole, files included;
- saves the progress where other requests can read it. A row written inside the import's
  transaction would stay invisible until the commit, and would keep the job's row locked (a
  cancel request would wait for the import to end). So on PostgreSQL, progress goes through
  a second connection of its own, committed at once; on SQLite (one writer at a time: no
  other request can write while an import does anyway) and when the job runs inside an outer
  transaction (tests), it is saved on the job's own connection and shows at the commit.
"""

import time

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from products.jobs.models import ImportJob

SAVE_EVERY_SECONDS = 1.0


class ImportCancelled(Exception):
    """Raised inside the import when the job's cancel was requested."""


def side_connection():
    """A second connection to the default database, or None where it cannot help."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    return connections.create_connection(DEFAULT_DB_ALIAS)


class ProgressRecorder:
    def __init__(self, job):
        self.job_id = job.pk
        self.cancelled = False  # set when it raised ImportCancelled
        self.done = self.total = 0
        self.saved_at = None
        self.side = side_connection()

    def __call__(self, done, total):
        self.done, self.total = done, total
        now = time.monotonic()
        first_or_last = self.saved_at is None or done >= total
        if not first_or_last and now - self.saved_at < SAVE_EVERY_SECONDS:
            return
        self.saved_at = now
        # Read on the import's own connection: PostgreSQL's read-committed statements see a
        # cancel committed since the import began.
        if ImportJob.objects.filter(pk=self.job_id, cancel_requested=True).exists():
            self.cancelled = True
            raise ImportCancelled(f"import #{self.job_id} was cancelled")
        self.save(done, total)

    def save(self, done, total):
        """Progress and the job's heartbeat (ImportJob.heartbeat_at)."""
        now = timezone.now()
        if self.side is None:
            ImportJob.objects.filter(pk=self.job_id).update(
                products_done=done, products_total=total, heartbeat_at=now
            )
            return
        table = self.side.ops.quote_name(ImportJob._meta.db_table)
        with self.side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET products_done = %s, products_total = %s, heartbeat_at = %s "  # noqa: S608 - the table name is the model's
                "WHERE id = %s",
                [done, total, now, self.job_id],
            )

    def close(self):
        if self.side is not None:
            self.side.close()
