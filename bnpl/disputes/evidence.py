"""Evidence files: what type a file is comes from its content, never from its name.

Accepted: PDF documents and photos (JPEG, PNG, WebP). Anything else (an HTML page named
photo.jpg, an executable, a damaged image) is refused with the reason, before it is stored.
"""
from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

from bnpl.errors import InvalidInput
from bnpl.i18n import N_, said

_IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
ACCEPTED = "PDF, JPEG, PNG or WebP"
MAX_PIXELS = 60_000_000  # a 60-megapixel photo; more is a decompression bomb, not evidence


@dataclass(frozen=True)
class EvidenceFile:
    """A file as it arrived: the name the sender gave it and its bytes."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content: bytes
    content_type: str
    sha256: str


def check_files(files: list[EvidenceFile], *, max_files: int, max_bytes: int,
                field: str = "evidence") -> list[CheckedFile]:
    """Check count, size and type of every file; one 422 naming each bad file."""
    if len(files) > max_files:
        raise InvalidInput({field: [said("At most %(most)s files at a time; you sent %(sent)s.", most=max_files,
                                         sent=len(files))]})
    errors, checked = {}, []
    for position, item in enumerate(files):
        try:
            checked.append(_check(item, max_bytes))
        except Refused as exc:
            errors[f"{field}.{position}"] = [said(exc.template, file=safe_filename(item.filename), **exc.params)]
    if errors:
        raise InvalidInput(errors)
    return checked


class Refused(ValueError):
    """Why a file is not accepted: a sentence (``said``) about it, the file named by the caller."""

    def __init__(self, template: str, **params):
        super().__init__(template)
        self.template, self.params = template, params


def _check(item: EvidenceFile, max_bytes: int) -> CheckedFile:
    if not item.content:
        raise Refused(N_("%(file)s: the file is empty."))
    if len(item.content) > max_bytes:
        raise Refused(N_("%(file)s: the file is larger than the limit of %(size)s."), size=_size(max_bytes))
    return CheckedFile(filename=safe_filename(item.filename), content=item.content,
                       content_type=content_type(item.content), sha256=hashlib.sha256(item.content).hexdigest())


def content_type(data: bytes) -> str:
    """The media type the bytes really are; ValueError for anything not accepted."""
    if data[:5] == b"%PDF-":
        if b"%%EOF" not in data[-1024:]:
            raise Refused(N_("%(file)s: the PDF is cut off or damaged."))
        return "application/pdf"
    return _image_type(data)


def _image_type(data: bytes) -> str:
    """The image's type from its header, its size in pixels checked before any decoding, and
    its whole checked without decoding it whole: the web worker never holds a large photo's
    pixels (a 60-megapixel PNG would be 180 MB)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(_IMAGE_TYPES)) as image:  # reads the header only
                kind = image.format
                if image.width * image.height > MAX_PIXELS:
                    raise Image.DecompressionBombError("too many pixels")
                _check_whole(image, data)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused(N_("%(file)s: the image is too large in pixels; send a smaller photo.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise Refused(N_("%(file)s: this is not a file we accept; send a PDF, JPEG, PNG or WebP.")) from None
    return _IMAGE_TYPES[kind]


def _check_whole(image, data: bytes) -> None:
    """A cut-off or damaged file fails here. A PNG: every chunk's checksum, up to its end
    (verify() inflates nothing). A JPEG: its end marker (Pillow loads cut-off images once
    WeasyPrint is imported), then decoded at an eighth of its size (draft). A WebP: its RIFF
    header says how long it is."""
    if image.format == "PNG":
        image.verify()
    elif image.format == "JPEG":
        if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
            raise ValueError("the JPEG is cut off")
        image.draft("RGB", (image.width // 8 or 1, image.height // 8 or 1))
        image.load()
    elif len(data) < 8 or int.from_bytes(data[4:8], "little") + 8 > len(data):
        raise ValueError("the WebP is cut off")


def safe_filename(name: str | None) -> str:
    """A name safe to show and to offer for download: no path, no control characters."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?;]", "", name).strip(" .")
    return name[:150] or "evidence"


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{max(n // 1024, 1)} KB"


def body_limit(rules) -> int:
    """The largest request that can carry a full set of evidence (base64 in JSON, or
    multipart), plus room for the message."""
    return rules.evidence_max_files * rules.evidence_max_bytes * 4 // 3 + 256 * 1024
