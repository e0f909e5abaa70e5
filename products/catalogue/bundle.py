"""Reading a bundle (a folder or a .zip) without ever opening a file outside it.

Format rules (../shared/catalogue-format.md, section 1): exactly one manifest, at the root or
inside a single top-level folder of a zip; media paths are relative POSIX paths confined to
the bundle; a symlink is followed only when its target stays inside; any zip entry whose name
is absolute or holds a `..` segment makes the whole bundle invalid.
"""

import os
import re
import zipfile
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.template.defaultfilters import filesizeformat

from products.catalogue.problems import BundleInvalid, Problem, Problems

MANIFEST_NAMES = ("catalogue.json", "catalogue.csv")
URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# Deflate and store are what every zip tool writes. Python also reads bzip2 and LZMA, but
# inflates a whole chunk of those at once, so a small read could fill memory: refused.
COMPRESSIONS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
CHUNK = 64 * 1024
# A directory entry is 46 bytes plus its name and extras: 1 KiB each is plenty for a bundle.
DIRECTORY_BYTES_PER_ENTRY = 1024


def manifest_limit():
    """The most bytes a manifest may hold, unpacked."""
    return settings.CATALOGUE_MANIFEST_MAX_SIZE


def invalid(where, message):
    """BundleInvalid placed at `where` (which may itself hold “: ”, as a zip entry can)."""
    return BundleInvalid(problems=[Problem(where, message)])


def too_large(what, size, limit):
    return f"{what} is {filesizeformat(size)}; the limit is {filesizeformat(limit)}"


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


class Bundle:
    manifest_data = b""  # read and size-checked once, by open_bundle()

    def read_manifest(self, name):
        """The manifest's bytes, as open_bundle() read them."""
        return self.manifest_data


def is_file(entry):
    """Whether a folder entry is, or links to, a file (a symlink loop is not)."""
    try:
        return entry.is_file()
    except OSError:
        return False


class FolderBundle(Bundle):
    def __init__(self, root):
        self.root = str(Path(root).resolve())
        self.name = str(root)
        self.resolved = {}  # path -> (real file, None) or (None, why not): resolve()
        self.walked = None  # walk(): (regular files and their sizes, every file's path)

    def manifest_names(self):
        return [name for name in MANIFEST_NAMES if os.path.isfile(os.path.join(self.root, name))]

    def load_manifest(self, name):
        """The manifest's bytes; one over the size limit is refused before it is read."""
        path, problem = self.resolve(name)
        if problem:
            raise invalid(name, problem.removeprefix(f"{name}: "))
        limit = manifest_limit()
        try:
            with open(path, "rb") as file:
                size = os.fstat(file.fileno()).st_size
                data = file.read(limit + 1) if size <= limit else b""
        except OSError as error:
            raise invalid(name, f"cannot be read ({describe(error)})") from error
        if size > limit or len(data) > limit:
            raise invalid(name, too_large("the manifest", max(size, len(data)), limit))
        return data

    def walk(self):
        """The bundle's files, listed once: relative path -> size of each regular file reached
        without a symlink (such a path is its own real file, inside the bundle), and the
        relative path of every file, symlinks to files included. Resolving thousands of paths
        one by one, each component a system call, was a third of re-planning a bundle."""
        if self.walked is None:
            regular, listed = {}, []
            folders = [(self.root, "")]
            while folders:
                folder, prefix = folders.pop()
                try:
                    with os.scandir(folder) as entries:
                        found = list(entries)
                except OSError:  # unreadable: its files are resolved one by one, with why
                    continue
                for entry in found:
                    relative = prefix + entry.name
                    if entry.is_dir(follow_symlinks=False):
                        folders.append((entry.path, relative + "/"))
                    elif entry.is_file(follow_symlinks=False):
                        regular[relative] = entry.stat(follow_symlinks=False).st_size
                        listed.append(relative)
                    elif is_file(entry):
                        listed.append(relative)
            listed.sort(key=lambda path: path.split("/"))
            self.walked = (regular, listed)
        return self.walked

    def resolve(self, path):
        """The real file for `path`, or a message saying why it cannot be used (worked out once
        per path: an import asks for each file's size, then its bytes, then maybe again)."""
        if path not in self.resolved:
            if path in self.walk()[0]:
                self.resolved[path] = os.path.join(self.root, *path.split("/")), None
            else:
                self.resolved[path] = self.resolve_now(path)
        return self.resolved[path]

    def resolve_now(self, path):
        """The slow way, for a path walk() did not find as a regular file: a symlink, or no
        file at all."""
        root = Path(self.root)
        candidate = root.joinpath(*path.split("/"))
        # resolve() follows symlinks: the target must still be inside the bundle.
        try:
            target = candidate.resolve()
        except (OSError, RuntimeError) as error:  # Python 3.11 raises RuntimeError on a loop
            return None, f"{path}: cannot be followed ({describe(error)})"
        if not target.is_relative_to(root):
            return None, f"{path}: a symlink that leaves the bundle"
        if not target.is_file():
            return None, f"{path}: no such file in the bundle"
        return str(target), None

    def size(self, path):
        target, problem = self.resolve(path)
        if problem:
            raise BundleInvalid(problem)
        regular = self.walk()[0]
        return regular[path] if path in regular else os.stat(target).st_size

    def read(self, path, limit):
        """The file's bytes; at most `limit` + 1 bytes are read (a larger file is refused)."""
        target, problem = self.resolve(path)
        if problem:
            raise BundleInvalid(problem)
        with open(target, "rb") as file:
            # Sized to the file: reading `limit` + 1 at once allocates that much (10 MB) for
            # each small file. A file that grew since is read on, to the limit.
            size = os.fstat(file.fileno()).st_size
            data = file.read(min(size, limit) + 1)
            if len(data) <= min(size, limit):
                return data
            return data + file.read(limit + 1 - len(data))

    def exists(self, path):
        return self.resolve(path)[1] is None

    def files(self):
        return [path for path in self.walk()[1] if path not in MANIFEST_NAMES]

    def close(self):
        pass


class ZipBundle(Bundle):
    """A zip bundle. Its directory is checked before any entry is inflated (number of entries,
    total size, names); entries are then read in bounded chunks, never trusting the sizes the
    directory declares."""

    def __init__(self, path, problems):
        self.name = Path(path).name
        self.prefix = ""
        self.inflated = {}  # entry name -> bytes read from it so far
        self.total_inflated = 0
        max_entries = settings.CATALOGUE_BUNDLE_MAX_ENTRIES
        # zipfile builds an object per entry of the directory: check its size first.
        directory = directory_size(path)
        if directory is not None and directory > max_entries * DIRECTORY_BYTES_PER_ENTRY:
            raise invalid(
                self.name,
                too_large(
                    "the zip's directory", directory, max_entries * DIRECTORY_BYTES_PER_ENTRY
                )
                + f" (at most {max_entries:,} entries)",
            )
        try:
            self.archive = zipfile.ZipFile(path)
        except Exception as error:  # noqa: BLE001 - a mangled directory raises many types
            raise invalid(self.name, f"not a readable zip file ({describe(error)})") from error
        self.max_inflated = settings.CATALOGUE_BUNDLE_MAX_INFLATED_SIZE
        infos = self.archive.infolist()
        if len(infos) > max_entries:
            problems.add(
                self.name, f"the zip holds {len(infos):,} entries; the limit is {max_entries:,}"
            )
            return
        declared = sum(info.file_size for info in infos)
        if declared > self.max_inflated:
            problems.add(self.name, too_large("unpacked, the zip", declared, self.max_inflated))
        self.entries = {}
        for info in infos:
            name = info.filename
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
                problems.add(name, "a zip entry that escapes the bundle root makes it invalid")
            elif name in self.entries:
                problems.add(name, "the zip holds two entries of this name: which is meant?")
            elif not info.is_dir():
                self.entries[name] = info
        if problems:
            return
        # The manifest is at the root, or inside a single top-level folder holding everything.
        tops = {name.split("/", 1)[0] for name in self.entries}
        if not any(name in self.entries for name in MANIFEST_NAMES) and len(tops) == 1:
            top = next(iter(tops))
            if all(name.startswith(top + "/") for name in self.entries):
                self.prefix = top + "/"

    def manifest_names(self):
        return [name for name in MANIFEST_NAMES if self.prefix + name in self.entries]

    def load_manifest(self, name):
        """The manifest's bytes; one over the size limit is refused before it is inflated."""
        info, limit = self.entries[self.prefix + name], manifest_limit()
        if info.file_size > limit:
            raise invalid(info.filename, too_large("the manifest", info.file_size, limit))
        data = self.read_entry(info, info.filename, limit)
        if len(data) > limit:
            raise invalid(info.filename, too_large("the manifest", len(data), limit))
        return data

    def info(self, path):
        info = self.entries.get(self.prefix + path)
        if info is None:
            raise BundleInvalid(f"{path}: no such file in the bundle")
        return info

    def size(self, path):
        return self.info(path).file_size

    def read(self, path, limit):
        """The entry's bytes, read on its own (never the whole archive); at most `limit` + 1."""
        return self.read_entry(self.info(path), path, limit)

    def read_entry(self, info, where, limit):
        """At most `limit` + 1 bytes of an entry, in chunks, counted against the bundle's
        total; anything unreadable (encrypted, an unknown compression, a bad CRC, a cut or
        corrupt stream) is a BundleInvalid placed at `where`."""
        if info.flag_bits & 0x1:
            raise invalid(where, "the zip entry is encrypted: bundles cannot be encrypted")
        if info.compress_type not in COMPRESSIONS:
            method = zipfile.compressor_names.get(info.compress_type, info.compress_type)
            raise invalid(
                where,
                f"the zip entry is compressed with “{method}”, which bundles cannot use "
                "(use deflate, every zip tool's default, or no compression)",
            )
        data = bytearray()
        try:
            with self.archive.open(info) as member:
                while len(data) <= limit:
                    chunk = member.read(min(CHUNK, limit + 1 - len(data)))
                    if not chunk:
                        break
                    data += chunk
                    self.count(info, where, len(data))
        except BundleInvalid:
            raise
        except Exception as error:  # noqa: BLE001 - zipfile and zlib raise many types
            raise invalid(where, f"the zip entry cannot be read ({describe(error)})") from error
        return bytes(data)

    def count(self, info, where, size):
        """Keep what the bundle's entries really inflate to under the bundle's limit."""
        # An entry read twice (hashed, then stored) counts once.
        grown = size - self.inflated.get(info.filename, 0)
        if grown > 0:
            self.inflated[info.filename] = size
            self.total_inflated += grown
        if self.total_inflated > self.max_inflated:
            raise invalid(
                where, too_large("unpacked, the zip", self.total_inflated, self.max_inflated)
            )

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
    try:
        bundle.manifest_data = bundle.load_manifest(names[0])
    except BundleInvalid:
        bundle.close()
        raise
    return bundle


def directory_size(path):
    """The size of a zip's central directory as its end record declares it (zip64 too), or
    None when there is no end record (zipfile then refuses the file)."""
    with open(path, "rb") as file:
        file.seek(0, 2)
        start = max(0, file.tell() - 22 - 0xFFFF)  # the end record, then a comment
        file.seek(start)
        tail = file.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return None
        size = int.from_bytes(tail[at + 12 : at + 16], "little")
        locator = tail[max(0, at - 20) : at]
        if locator[:4] == b"PK\x06\x07":
            file.seek(int.from_bytes(locator[8:16], "little"))
            record = file.read(56)
            if record[:4] == b"PK\x06\x06":
                size = max(size, int.from_bytes(record[40:48], "little"))
        return size


def describe(error):
    return (str(error).strip() or type(error).__name__)[:200]
