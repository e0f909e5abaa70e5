"""Run the PDF worker (cms/media/pdf_worker.py) in a child process under hard limits.

The child gets the PDF as a file in a temporary folder and leaves its preview there. Its
limits, from settings (cms/settings/base.py, "PDF previews"):

- wall time: MEDIA_PDF_TIMEOUT_SECONDS, then it is killed (SIGKILL, with its process group);
- CPU time: MEDIA_PDF_CPU_SECONDS (RLIMIT_CPU: the kernel stops it);
- memory: MEDIA_PDF_MEMORY_BYTES of private writable memory (RLIMIT_DATA, which counts the
  heap and every anonymous mapping; RLIMIT_AS would count PDFium's large address-space
  reservations, which cost no memory, and stop it before it starts);
- pages: a PDF of more than MEDIA_PDF_MAX_PAGES pages is refused; text is read from the first
  MEDIA_PDF_TEXT_PAGES pages, at most MEDIA_PDF_TEXT_MAX_CHARS characters;
- pixels: the first page is rendered to fit MEDIA_PDF_PREVIEW_BOX (width, height).

It runs with an empty environment (no database URL, no storage keys) and writes only into
its temporary folder.
"""

import json
import resource
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class RenderedPDF:
    """What the worker made of a PDF: its first page as JPEG bytes, its page count, its text."""

    preview: bytes
    page_count: int
    text: str


class PDFRefused(Exception):
    """No preview: the message (for the media health report) says why."""


def worker_limits():
    box_width, box_height = settings.MEDIA_PDF_PREVIEW_BOX
    return {
        "max_pages": settings.MEDIA_PDF_MAX_PAGES,
        "text_pages": settings.MEDIA_PDF_TEXT_PAGES,
        "text_chars": settings.MEDIA_PDF_TEXT_MAX_CHARS,
        "box_width": box_width,
        "box_height": box_height,
    }


def limit_child():
    """Run in the child between fork and exec: the kernel's limits, which no code in the
    child can lift (hard limits equal to soft ones)."""
    cpu = settings.MEDIA_PDF_CPU_SECONDS
    memory = settings.MEDIA_PDF_MEMORY_BYTES
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024 * 1024, 64 * 1024 * 1024))


def worker_command(pdf_path, out_dir):
    # -E -s: ignore PYTHON* variables and the user's site-packages.
    return [
        sys.executable,
        "-E",
        "-s",
        "-m",
        "cms.media.pdf_worker",
        str(pdf_path),
        str(out_dir),
        json.dumps(worker_limits()),
    ]


def describe_exit(returncode):
    """Why a child that printed no answer stopped, in words for the health report."""
    if returncode < 0:
        number = -returncode
        if number in (signal.SIGXCPU, signal.SIGKILL):
            return f"the renderer used more than {settings.MEDIA_PDF_CPU_SECONDS} s of CPU"
        if number in (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGTRAP):
            # PDFium's allocator aborts when the memory limit refuses it more.
            megabytes = settings.MEDIA_PDF_MEMORY_BYTES // (1024 * 1024)
            return (
                f"the renderer stopped ({signal.Signals(number).name}), most likely over its "
                f"memory limit of {megabytes} MB"
            )
        return f"the renderer stopped ({signal.Signals(number).name})"
    return f"the renderer failed (exit status {returncode})"


def render_pdf(content: bytes) -> RenderedPDF:
    """Preview, page count and text of the PDF `content`, made in a limited child process.
    Raises PDFRefused, with the reason, when the PDF gives no preview."""
    timeout = settings.MEDIA_PDF_TIMEOUT_SECONDS
    with tempfile.TemporaryDirectory(prefix="pdf-preview-") as folder:
        pdf_path = Path(folder) / "document.pdf"
        pdf_path.write_bytes(content)
        try:
            # The command is ours (the running interpreter and a module of this project).
            child = subprocess.run(  # noqa: S603
                worker_command(pdf_path, folder),
                cwd=settings.BASE_DIR,
                env={"LC_ALL": "C.UTF-8"},
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                preexec_fn=limit_child,  # noqa: PLW1509 - limits must be set before exec
                start_new_session=True,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise PDFRefused(f"rendering took longer than {timeout} s") from error
        try:
            answer = json.loads(child.stdout) if child.returncode == 0 else None
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            if child.returncode == 1 and b"MemoryError" in child.stderr:
                raise PDFRefused("it needs more memory than a preview may use")
            raise PDFRefused(describe_exit(child.returncode))
        if "error" in answer:
            raise PDFRefused(str(answer["error"]))
        try:
            return RenderedPDF(
                preview=(Path(folder) / "preview.jpg").read_bytes(),
                page_count=int(answer["page_count"]),
                text=str(answer["text"]),
            )
        except (OSError, KeyError, TypeError, ValueError) as error:
            raise PDFRefused(f"the renderer gave no usable answer ({error!r})") from error
