"""Catalogue imports as background jobs: a bundle uploaded once, imported by a django-tasks
worker, followed over HTTP (docs/catalogue-import.md, "Jobs").

    models.py    ImportJob: state, progress, plan summary, report, the kept bundle
    services.py  create, start (after review) and cancel a job: shared by the API and admin
    progress.py  the import's progress callback: saves progress, notices a cancel
    tasks.py     run_import_job: one job at a time per catalogue, plan, then apply the plan
    views.py     POST /api/catalogue/imports/, GET .../<id>/, POST .../<id>/start and /cancel
"""
