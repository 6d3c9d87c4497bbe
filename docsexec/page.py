"""A Markdown page as text: its lines, and the byte-level details a rewrite must keep.

Pages are read as bytes so that a BOM and CRLF line endings survive a rewrite untouched,
and written atomically (temporary file in the same folder, then rename) so that an
interrupted run never leaves a page half-written.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import BadInput

BOM = "\ufeff"
TEMP_SUFFIX = ".docsexec-tmp"
MARKDOWN_SUFFIXES = (".md", ".markdown")


@dataclass
class Page:
    """The decoded text of one page, split into lines without their endings."""

    path: Path
    lines: list[str]
    newline: str  # "\n" or "\r\n": the page's own convention, reused when writing
    bom: bool
    ends_with_newline: bool

    @classmethod
    def read(cls, path: Path) -> Page:
        if path.suffix.lower() not in MARKDOWN_SUFFIXES:
            raise BadInput(path, 1, "not a Markdown file (expected .md or .markdown)")
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise BadInput(path, 1, f"cannot read: {exc.strerror}") from exc
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise BadInput(path, line, "not valid UTF-8") from exc
        return cls.parse(path, text)

    @classmethod
    def parse(cls, path: Path, text: str) -> Page:
        bom = text.startswith(BOM)
        if bom:
            text = text[1:]
        newline = "\r\n" if "\r\n" in text else "\n"
        ends = text.endswith(newline)
        body = text[: -len(newline)] if ends else text
        # In a CRLF page a stray lone "\n" stays inside its line, so bytes survive a rewrite.
        lines = body.split(newline) if body else []
        return cls(path=path, lines=lines, newline=newline, bom=bom, ends_with_newline=ends)

    def front_matter_range(self) -> tuple[int, int] | None:
        """(first, closing) line indexes of a leading `---` YAML block, if the page has one."""
        if not self.lines or self.lines[0].rstrip() != "---":
            return None
        for index in range(1, len(self.lines)):
            if self.lines[index].rstrip() in ("---", "..."):
                return 0, index
        return None

    def with_lines(self, lines: list[str]) -> Page:
        """The same page (path, line endings, BOM, final newline) with other lines."""
        return dataclasses.replace(self, lines=lines)

    def text(self) -> str:
        body = self.newline.join(self.lines)
        if self.ends_with_newline:
            body += self.newline
        return (BOM if self.bom else "") + body

    def write_atomically(self) -> None:
        """Replace the file in one rename: readers see the old page or the new one, never half."""
        data = self.text().encode("utf-8")
        directory = self.path.parent
        _sweep_stale_temporaries(self.path)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.{os.getpid()}.", suffix=TEMP_SUFFIX, dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            mode = self.path.stat().st_mode & 0o7777 if self.path.exists() else 0o644
            os.chmod(tmp, mode)
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


def _sweep_stale_temporaries(path: Path) -> None:
    """Remove temporaries that a writer killed mid-write (SIGKILL) left beside the page.

    Each temporary carries its writer's pid; one whose writer is gone is debris. The page
    itself was never touched by such a writer: it is replaced only by the final rename.
    """
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*{TEMP_SUFFIX}"):
        pid = leftover.name[len(path.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            leftover.unlink(missing_ok=True)


def find_pages(paths: list[Path]) -> list[Path]:
    """Expand folders to the Markdown files under them, in a stable order.

    A path given explicitly must be Markdown; folders contribute only their Markdown files.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in MARKDOWN_SUFFIXES and p.is_file()))
        elif path.is_file():
            if path.suffix.lower() not in MARKDOWN_SUFFIXES:
                raise BadInput(path, 1, "not a Markdown file (expected .md or .markdown)")
            found.append(path)
        else:
            raise BadInput(path, 1, "no such file or folder: check the path")
    unique: list[Path] = []
    for path in found:
        if path not in unique:
            unique.append(path)
    return unique
