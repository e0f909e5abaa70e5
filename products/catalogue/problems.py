"""Errors and warnings that name their place (`products[12].body[3].value[0].file`,
`catalogue.csv row 14, column gallery`)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self):
        return f"{self.where}: {self.message}"

    def as_json(self):
        return {"where": self.where, "message": self.message}

    def moved_to(self, where):
        """The same problem, placed at `where` (e.g. the reference that named a bad file)."""
        return Problem(where, f"{self.where}: {self.message}")


class Problems(list):
    """Problems in the order found. At most MAX_LISTED are kept, then one that says more were
    found: a manifest of a million empty products must not make a report of millions."""

    MAX_LISTED = 1000

    def __init__(self, problems=()):
        super().__init__()
        self.extend(problems)

    def add(self, where, message):
        self.append(Problem(where, message))

    def append(self, problem):
        if len(self) < self.MAX_LISTED:
            super().append(problem)
        elif len(self) == self.MAX_LISTED:
            super().append(
                Problem(
                    "bundle",
                    f"more than {self.MAX_LISTED:,} problems: the first {self.MAX_LISTED:,} are "
                    "listed; fix those and try again",
                )
            )

    def extend(self, problems):
        for problem in problems:
            self.append(problem)


class BundleInvalid(Exception):
    """The bundle cannot be read at all (no manifest, an escaping zip entry, ...)."""

    def __init__(self, message=None, problems=None):
        self.problems = Problems(problems or [])
        if message:
            where, _, text = message.partition(": ")
            self.problems.add(where, text or message)
        super().__init__("; ".join(str(p) for p in self.problems))
