"""Reading a bundle (a folder or a .zip) without ever opening a file outside it.

Format rules (../shared/catalogue-format.md, section 1): exactly one manifest, at the root or
inside a single top-level folder of a zip; media paths are relative POSIX paths confined to
the bundle; a symlink is followed only when its target stays inside; any zip entry whose name
is absolute or holds a `..` segment makes the whole bundle invalid.
"""

import re
import zipfile
from pathlib import Path, PurePosixPath

from products.catalogue.problems import BundleInvalid, Problems

MANIFEST_NAMES = ("catalogue.json", "catalogue.csv")
URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def path_problem(path):
    """Why a manifest path is not a valid bundle path, or None."""
    if not isinstance(path, str) or not path:
        return "a path must be a non-empty string"
    if "\\" in path:
        return f"{path}: a path uses / as separator, never \\"
    if path.startswith("/"):
        return f"{path}: an absolute path leaves the bundle"
    if URL.match(path):
        return f"{path}: a URL is not a bundle path"
    segments = path.split("/")
    if ".." in segments:
        return f"{path}: a “..” segment leaves the bundle"
    if any(segment in ("", ".") for segment in segments):
        return f"{path}: empty or “.” path segments are not allowed"
    if "\x00" in path:
        return f"{path}: a path cannot hold a NUL character"
    return None


class FolderBundle:
    def __init__(self, root):
        self.root = Path(root).resolve()
        self.name = str(root)

    def manifest_names(self):
        return [name for name in MANIFEST_NAMES if (self.root / name).is_file()]

    def read_manifest(self, name):
        return (self.root / name).read_bytes()

    def resolve(self, path):
        """The real file for `path`, or a message saying why it cannot be used."""
        candidate = self.root.joinpath(*path.split("/"))
        # resolve() follows symlinks: the target must still be inside the bundle.
        target = candidate.resolve()
        if not target.is_relative_to(self.root):
            return None, f"{path}: a symlink that leaves the bundle"
        if not target.is_file():
            return None, f"{path}: no such file in the bundle"
        return target, None

    def size(self, path):
        target, problem = self.resolve(path)
        if problem:
            raise BundleInvalid(problem)
        return target.stat().st_size

    def read(self, path, limit):
        """The file's bytes; at most `limit` + 1 bytes are read (a larger file is refused)."""
        target, problem = self.resolve(path)
        if problem:
            raise BundleInvalid(problem)
        with target.open("rb") as file:
            return file.read(limit + 1)

    def exists(self, path):
        return self.resolve(path)[1] is None

    def files(self):
        for file in sorted(self.root.rglob("*")):
            relative = file.relative_to(self.root).as_posix()
            if file.is_file() and relative not in MANIFEST_NAMES:
                yield relative

    def close(self):
        pass


class ZipBundle:
    def __init__(self, path, problems):
        self.name = str(path)
        try:
            self.archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            raise BundleInvalid(f"{path}: not a readable zip file ({error})") from error
        self.entries = {}
        for info in self.archive.infolist():
            name = info.filename
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
                problems.add(name, "a zip entry that escapes the bundle root makes it invalid")
            elif not info.is_dir():
                self.entries[name] = info
        if problems:
            return
        # The manifest is at the root, or inside a single top-level folder holding everything.
        tops = {name.split("/", 1)[0] for name in self.entries}
        self.prefix = ""
        if not any(name in self.entries for name in MANIFEST_NAMES) and len(tops) == 1:
            top = next(iter(tops))
            if all(name.startswith(top + "/") for name in self.entries):
                self.prefix = top + "/"

    def manifest_names(self):
        return [name for name in MANIFEST_NAMES if self.prefix + name in self.entries]

    def read_manifest(self, name):
        return self.archive.read(self.prefix + name)

    def info(self, path):
        info = self.entries.get(self.prefix + path)
        if info is None:
            raise BundleInvalid(f"{path}: no such file in the bundle")
        return info

    def size(self, path):
        return self.info(path).file_size

    def read(self, path, limit):
        """The entry's bytes, read on its own (never the whole archive); at most `limit` + 1."""
        with self.archive.open(self.info(path)) as member:
            return member.read(limit + 1)

    def exists(self, path):
        return self.prefix + path in self.entries

    def files(self):
        for name in sorted(self.entries):
            relative = name[len(self.prefix) :]
            if relative not in MANIFEST_NAMES:
                yield relative

    def close(self):
        self.archive.close()


def open_bundle(path):
    """Open a folder or .zip bundle; raise BundleInvalid (with every problem) if unusable."""
    problems = Problems()
    path = Path(path)
    if path.is_dir():
        bundle = FolderBundle(path)
    elif path.is_file() and path.suffix.lower() == ".zip":
        bundle = ZipBundle(path, problems)
        if problems:
            bundle.close()
            raise BundleInvalid(problems=problems)
    else:
        raise BundleInvalid(f"{path}: a bundle is a folder or a .zip file")
    names = bundle.manifest_names()
    if len(names) != 1:
        bundle.close()
        message = (
            "the bundle holds both catalogue.json and catalogue.csv: keep one"
            if names
            else "no catalogue.json or catalogue.csv at the bundle's root"
        )
        raise BundleInvalid(f"{bundle.name}: {message}")
    bundle.manifest_name = names[0]
    return bundle
