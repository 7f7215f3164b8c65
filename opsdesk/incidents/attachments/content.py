"""What an uploaded file is, read from its bytes (issue 9, item 4): never the type or name the client
claims. Executables and scripts are refused, and so is markup a browser would render (HTML, SVG,
XML), even though attachments are only ever served as downloads: a file that would be harmful if
it were ever opened inline is not kept at all.

Binary formats are recognised by their signatures with `filetype` (PNG, JPEG, PDF, ZIP, Office,
gzip, …, and PE/ELF executables); what it does not know is text (no NUL byte, valid UTF-8) or
opaque binary (`application/octet-stream`)."""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass

import filetype

#: How much of a file is read to tell what it is.
HEAD_BYTES = 8192

#: filetype's types that run code or install software.
_EXECUTABLE_TYPES = frozenset(
    {
        "application/x-msdownload",
        "application/x-executable",
        "application/x-sharedlib",
        "application/x-mach-binary",
        "application/vnd.microsoft.portable-executable",
        "application/x-dosexec",
        "application/vnd.android.dex",
        "application/x-shockwave-flash",
        "application/x-google-chrome-extension",
        "application/x-deb",
        "application/x-rpm",
    }
)
#: Signatures filetype leaves out: Mach-O (32/64-bit, both byte orders, universal) and scripts.
_EXECUTABLE_MAGIC = (
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)
#: Names that run or render when opened, whatever the bytes are.
BLOCKED_EXTENSIONS = frozenset(
    """exe dll com scr msi msp cpl bat cmd ps1 psm1 vbs vbe js jse wsf wsh hta jar apk app dmg pkg sh
    elf so dylib html htm xhtml shtml svg svgz xml xsl mht mhtml php asp aspx jsp""".split()
)
#: Markup a browser would render if it ever sniffed the file (what a text file must not start with
#: or carry near its start).
_MARKUP = re.compile(
    rb"<\s*(!doctype\s+html|html|head|body|script|iframe|object|embed|svg|\?xml|frameset|meta|link|style)\b"
)


class Refused(ValueError):
    """The reason a file is not accepted, said to the person who sent it."""


@dataclass(frozen=True)
class Checked:
    filename: str
    content_type: str


def clean_filename(name: str) -> str:
    """The last path component, without control characters, at most 200 characters (keeping the
    extension)."""
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    if not base:
        return "attachment"
    stem, ext = os.path.splitext(base)
    return stem[: 200 - len(ext[:20])] + ext[:20]


def check(name: str, head: bytes) -> Checked:
    """The file's name and content type from its first bytes; Refused when it must not be kept."""
    filename = clean_filename(name)
    extension = os.path.splitext(filename)[1].lower().lstrip(".")
    if extension in BLOCKED_EXTENSIONS:
        raise Refused(
            f"Files of type .{extension} are not accepted: executables, scripts and web pages "
            "(HTML, SVG, XML) cannot be attached."
        )
    kind = filetype.guess(head)
    if (kind is not None and kind.mime in _EXECUTABLE_TYPES) or head.startswith(_EXECUTABLE_MAGIC):
        raise Refused("This file is a program or script; executables cannot be attached.")
    if kind is not None:
        return Checked(filename, kind.mime)
    if b"\x00" in head:
        return Checked(filename, "application/octet-stream")
    text = head.lstrip(b"\xef\xbb\xbf").lstrip().lower()
    if _MARKUP.search(text[:4096]):
        raise Refused(
            "This file is a web page (HTML, SVG or XML markup), which a browser would render; "
            "attach it as a PDF or a screenshot, or zip it."
        )
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at the end of the sample
            return Checked(filename, "application/octet-stream")
    return Checked(filename, "text/plain")
