"""Catalogue imports as background jobs: a bundle uploaded once, imported by a django-tasks
worker, followed over HTTP (docs/catalogue-import.md, "Jobs").

    models.py    ImportJob: state, progress, plan summary, report, the kept bundle
    plan.py      plan_summary(): what a job will do, before it does it
    progress.py  the import's progress callback: saves progress, notices a cancel
    tasks.py     run_import_job: one job at a time per catalogue, then the import
    views.py     POST /api/catalogue/imports/, GET .../<id>/, POST .../<id>/cancel
"""
