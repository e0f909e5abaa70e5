"""The admin's CSV exports (reports, site history, redirects, form submissions) with no
formulas in them: a cell a spreadsheet would read as a formula (a page titled
`=HYPERLINK(...)`) is written with a leading apostrophe, which spreadsheets show as text.
"""

from wagtail.admin.views.mixins import SpreadsheetExportMixin

# What spreadsheets take as the start of a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value):
    """A string cell that would start a formula, prefixed with an apostrophe; else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_csv_exports():
    """Make every admin CSV export neutralise formulas. Idempotent.

    Wagtail 8 neutralises them in XLSX exports only (a cell openpyxl reads as a formula is
    written as a string); its CSV rows have no hook, and the export views are many (each
    report, redirects, form submissions), so the one method they share is wrapped here."""
    original = SpreadsheetExportMixin.preprocess_field_value
    if getattr(original, "neutralises_formulas", False):
        return

    def preprocess_field_value(self, field, value, export_format):
        processed = original(self, field, value, export_format)
        if export_format == self.FORMAT_CSV:
            return neutralise_formula(processed)
        return processed

    preprocess_field_value.neutralises_formulas = True
    SpreadsheetExportMixin.preprocess_field_value = preprocess_field_value
