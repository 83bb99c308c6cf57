"""Evidence files are checked by their content, not their name: an image that claims more
pixels than we decode and a file cut off halfway are refused with a reason, never a crash."""
import io
import struct
import zlib

import pytest
from PIL import Image

from bnpl.disputes.evidence import EvidenceFile, check_files
from bnpl.errors import InvalidInput


def _png_header_claiming(width, height) -> bytes:
    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


def test_an_image_claiming_a_billion_pixels_is_refused_not_a_crash():
    with pytest.raises(InvalidInput, match="too large in pixels"):
        check_files([EvidenceFile("bomb.png", _png_header_claiming(40000, 40000))], max_files=5, max_bytes=10**6)


def test_a_cut_off_jpeg_is_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), "red").save(buffer, "JPEG")
    with pytest.raises(InvalidInput, match="not a file we accept"):
        check_files([EvidenceFile("photo.jpg", buffer.getvalue()[:400])], max_files=5, max_bytes=10**6)
