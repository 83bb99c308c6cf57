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


def _image(kind: str, size=(300, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, kind)
    return buffer.getvalue()


@pytest.mark.parametrize("kind, media_type", [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")])
def test_a_whole_photo_is_accepted_by_its_content(kind, media_type):
    [checked] = check_files([EvidenceFile("photo.bin", _image(kind))], max_files=5, max_bytes=10**6)
    assert checked.content_type == media_type


@pytest.mark.parametrize("kind", ["PNG", "WEBP"])
def test_a_cut_off_png_or_webp_is_refused(kind):
    data = _image(kind, (400, 400))
    with pytest.raises(InvalidInput, match="not a file we accept"):
        check_files([EvidenceFile("photo", data[: len(data) * 2 // 3])], max_files=5, max_bytes=10**6)


# A large PNG made on the fly (rows of zeros compress to almost nothing): 7000 x 6000 RGB is
# 126 MB once decoded. Checking it must not decode it: the web worker's memory stays flat.
_MEMORY_PROBE = r"""
import resource, struct, sys, zlib
from bnpl.disputes.evidence import content_type

def chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

width, height = 7000, 6000
packer, idat, row = zlib.compressobj(9), [], b"\x00" * (1 + 3 * width)
for _ in range(height):
    idat.append(packer.compress(row))
idat.append(packer.flush())
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
       + chunk(b"IDAT", b"".join(idat)) + chunk(b"IEND", b""))
import PIL.Image, PIL.PngImagePlugin  # loaded before measuring: their code is not the image
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
assert content_type(png) == "image/png"
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def test_checking_a_large_png_does_not_decode_it_in_the_web_worker():
    import subprocess
    import sys

    grown_mb = int(subprocess.run([sys.executable, "-c", _MEMORY_PROBE], capture_output=True, text=True,
                                  check=True, timeout=120).stdout.strip())
    assert grown_mb < 20, f"checking one 42-megapixel PNG grew the process by {grown_mb} MB"


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP"])
def test_a_cut_off_photo_is_refused_even_where_pillow_loads_cut_off_images(monkeypatch, kind):
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # what importing WeasyPrint does
    data = _image(kind, (400, 400))
    with pytest.raises(InvalidInput, match="not a file we accept"):
        check_files([EvidenceFile("photo", data[: len(data) * 2 // 3])], max_files=5, max_bytes=10**6)
