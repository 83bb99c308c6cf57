"""A merchant's logo: checked when it is set, so a document never breaks on it later.

Logos arrive as the image itself (a ``data:`` URI), never as a URL: the renderer does not
touch the network, and what is stored is exactly what was checked.
"""
from __future__ import annotations

import base64
import binascii
import io
import re
from dataclasses import dataclass

MAX_LOGO_BYTES = 256 * 1024
MAX_LOGO_SIDE = 4000
MIN_LOGO_SIDE = 16
_DATA_URI = re.compile(r"^data:(?P<type>image/[a-z0-9.+-]+);base64,(?P<data>[A-Za-z0-9+/=\s]*)$", re.S)
_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}


class LogoError(ValueError):
    pass


@dataclass(frozen=True)
class CheckedLogo:
    media_type: str
    data: bytes


def check_logo(value: str) -> CheckedLogo:
    """Decode and check a data URI; raises LogoError with what to do instead."""
    if re.match(r"^[a-z][a-z0-9+.-]*://", value, re.I):
        raise LogoError("Logos are uploaded, not fetched: send the image itself as a data URI "
                        "(data:image/png;base64,…), not a URL.")
    match = _DATA_URI.match(value)
    if match is None:
        raise LogoError("Send the logo as a data URI: data:image/png;base64,… or data:image/jpeg;base64,….")
    try:
        data = base64.b64decode(re.sub(r"\s", "", match["data"]), validate=True)
    except binascii.Error:
        raise LogoError("The logo's base64 data is damaged.") from None
    if len(data) > MAX_LOGO_BYTES:
        raise LogoError(f"The logo is {len(data) // 1024} KB; at most {MAX_LOGO_BYTES // 1024} KB is accepted.")
    return CheckedLogo(media_type=_image_type(data), data=data)


def _image_type(data: bytes) -> str:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format, image.size
            if kind not in _FORMATS:
                raise LogoError(f"The logo is {kind}; send a PNG or a JPEG.")
            if not (MIN_LOGO_SIDE <= width <= MAX_LOGO_SIDE and MIN_LOGO_SIDE <= height <= MAX_LOGO_SIDE):
                raise LogoError(f"The logo is {width}×{height} pixels; each side must be "
                                f"{MIN_LOGO_SIDE} to {MAX_LOGO_SIDE}.")
            if not data.rstrip(b"\x00").endswith(_END[kind]):
                # WeasyPrint lets Pillow load cut-off images (process-wide): check the end marker.
                raise LogoError("The logo file is cut off; send the whole image.")
            image.load()  # a corrupt file fails here, not in a customer's PDF
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise LogoError("This is not a PNG or JPEG image the renderer can read.") from None
    return _FORMATS[kind]


_END = {"PNG": b"IEND\xaeB`\x82", "JPEG": b"\xff\xd9"}
