"""The import report (`catalogue-report/1`, format section 4.6): what the planner predicts
and the writer returns."""

from dataclasses import dataclass, field

from products.catalogue.problems import Problems


@dataclass
class ImportReport:
    ok: bool = True
    dry_run: bool = False
    products: dict = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})
    images: dict = field(default_factory=lambda: {"created": 0, "reused": 0})
    documents: dict = field(default_factory=lambda: {"created": 0, "reused": 0})
    errors: Problems = field(default_factory=Problems)
    warnings: Problems = field(default_factory=Problems)

    def as_json(self):
        return {
            "format": "catalogue-report/1",
            "ok": self.ok,
            "dry_run": self.dry_run,
            "products": self.products,
            "images": self.images,
            "documents": self.documents,
            "errors": [p.as_json() for p in self.errors],
            "warnings": [p.as_json() for p in self.warnings],
        }

    def copy(self, *, dry_run):
        """A copy to fill in (the plan's own report stays as planned)."""
        return ImportReport(
            ok=self.ok,
            dry_run=dry_run,
            products=dict(self.products),
            images=dict(self.images),
            documents=dict(self.documents),
            errors=Problems(self.errors),
            warnings=Problems(self.warnings),
        )
