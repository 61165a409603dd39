#!/usr/bin/env python3
"""Writes the small image fixtures of Tests/ImagingTests/Fixtures.

PNG and JPEG files hold deterministic patterns (the tests compute the same formulas); DICOM
files are cut from the real NIH DICOMs in ../shared/data/nih/dicom and re-encoded in every
transfer syntax with Debian's dcmtk and GDCM tools, so the Swift decoders are checked against
files made by other implementations. Run from the repository root; the outputs are committed,
so tests never need Python.

    python3 scripts/make-imaging-fixtures.py
"""
import io
import os
import subprocess
import sys

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "ImagingTests", "Fixtures")
W, H = 23, 17


def pattern8(seed_x, seed_y, width=W, height=H):
    y, x = np.mgrid[0:height, 0:width]
    return ((x * seed_x + y * seed_y) & 255).astype(np.uint8)


def gray16(width=W, height=H):
    y, x = np.mgrid[0:height, 0:width]
    return ((x * 2311 + y * 4099) & 0xFFFF).astype(np.uint16)


def write_png_fixtures():
    gray = pattern8(7, 13)
    red, green, blue, alpha = pattern8(7, 13), pattern8(3, 5), pattern8(11, 1), pattern8(1, 2)
    Image.fromarray(gray).save(os.path.join(OUT, "gray8.png"))
    Image.fromarray(np.dstack([gray, alpha])).save(os.path.join(OUT, "gray-alpha8.png"))
    Image.fromarray(np.dstack([red, green, blue])).save(os.path.join(OUT, "rgb8.png"))
    Image.fromarray(np.dstack([red, green, blue, alpha])).save(os.path.join(OUT, "rgba8.png"))
    # A palette image whose indices follow the gray pattern and whose palette maps i -> (i, 255 - i, i // 2).
    palette = Image.frombytes("P", (W, H), gray.tobytes())
    palette.putpalette([v for i in range(256) for v in (i, 255 - i, i // 2)])
    palette.save(os.path.join(OUT, "palette8.png"))
    # 16-bit gray: Pillow writes mode I;16 as a 16-bit grayscale PNG.
    Image.fromarray(gray16()).save(os.path.join(OUT, "gray16.png"))
    # A 16-bit RGB PNG, written by hand (Pillow cannot): samples are gray16 shifted per channel.
    import struct, zlib
    g16 = gray16()
    rgb16 = np.dstack([g16, g16 ^ 0x00FF, g16 ^ 0xFF00]).astype(">u2")
    raw = b"".join(b"\x00" + rgb16[row].tobytes() for row in range(H))
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 16, 2, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    open(os.path.join(OUT, "rgb16.png"), "wb").write(png)
    # Truncated and corrupt copies of a real-size-ish image.
    data = open(os.path.join(OUT, "gray8.png"), "rb").read()
    open(os.path.join(OUT, "gray8-truncated.png"), "wb").write(data[: len(data) // 2])
    corrupt = bytearray(data)
    idat = corrupt.index(b"IDAT")
    for i in range(idat + 8, idat + 20):
        corrupt[i] ^= 0x5A
    open(os.path.join(OUT, "gray8-corrupt.png"), "wb").write(bytes(corrupt))


def smooth(width=64, height=48):
    y, x = np.mgrid[0:height, 0:width]
    return (128 + 60 * np.sin(x / 9.0) * np.cos(y / 7.0)).round().astype(np.uint8)


def write_jpeg_fixtures():
    gray = smooth()
    Image.fromarray(gray).save(os.path.join(OUT, "smooth-gray.png"))
    Image.fromarray(gray).save(os.path.join(OUT, "gray-baseline.jpg"), quality=90)
    Image.fromarray(gray).save(os.path.join(OUT, "gray-progressive.jpg"), quality=90, progressive=True)
    rgb = np.dstack([gray, gray, gray])
    Image.fromarray(rgb).save(os.path.join(OUT, "rgb-baseline.jpg"), quality=95, subsampling=0)
    # What Pillow (libjpeg-turbo, islow DCT) decodes from the gray files, for exact comparison.
    for name in ["gray-baseline", "gray-progressive"]:
        decoded = Image.open(os.path.join(OUT, name + ".jpg"))
        decoded.load()
        decoded.save(os.path.join(OUT, name + ".pillow.png"))
    data = open(os.path.join(OUT, "gray-baseline.jpg"), "rb").read()
    open(os.path.join(OUT, "gray-baseline-truncated.jpg"), "wb").write(data[: len(data) * 2 // 3])


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    write_png_fixtures()
    write_jpeg_fixtures()
    if "--no-dicom" not in sys.argv:
        import make_dicom_fixtures  # noqa: F401  (scripts/make_dicom_fixtures.py, when present)
