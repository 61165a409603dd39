#!/usr/bin/env python3
"""Writes the small image fixtures of Tests/ImagingTests/Fixtures.

PNG and JPEG files hold deterministic patterns (the tests compute the same formulas); DICOM
files are cut from the real NIH DICOMs in the test data's nih/dicom and re-encoded in every
transfer syntax with Debian's dcmtk and GDCM tools, so the Swift decoders are checked against
files made by other implementations. Run from the repository root; the outputs are committed,
so tests never need Python.

    python3 scripts/make-imaging-fixtures.py
"""
import copy
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
    # Restart intervals (every 5 blocks: RSTn falls mid-row) and a 4:2:0 colour image with one
    # restart per MCU row, for the Swift sequential decoder against libjpeg-turbo (8-bit twin).
    Image.fromarray(gray).save(os.path.join(OUT, "gray-restart.jpg"), quality=90, restart_marker_blocks=5)
    # Noise at quality 100: large coefficients, IDCT output clamped at 0 and 255.
    noise = np.random.default_rng(7).integers(0, 256, size=(48, 64)).astype(np.uint8)
    Image.fromarray(noise).save(os.path.join(OUT, "gray-noise-q100.jpg"), quality=100)
    colour = np.dstack([gray, 255 - gray, np.roll(gray, 17, axis=1)])
    Image.fromarray(colour).save(os.path.join(OUT, "rgb420-restart.jpg"), quality=85, subsampling=2, restart_marker_rows=1)


def run(*command):
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def write_dicom_fixtures(source):
    """Cuts a 64 x 48 image out of a real NIH DICOM (area-reduced by 16) and writes it in
    each transfer syntax. References: pydicom's values of the native files, and for lossy
    syntaxes what dcmtk / GDCM decode (their *.reference.png)."""
    import pydicom
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    real = pydicom.dcmread(source)
    reduced = real.pixel_array[128:896, :].reshape(48, 16, 64, 16).mean(axis=(1, 3)).round().astype(np.uint16)

    def dataset(pixels, bits_stored, name, **attributes):
        ds = copy.deepcopy(real)
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.SOPInstanceUID = generate_uid(prefix="1.2.826.0.1.3680043.10.1378.", entropy_srcs=["thorax", name])
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        frames = pixels.shape[0] if pixels.ndim == 3 else 1
        ds.Rows, ds.Columns = pixels.shape[-2], pixels.shape[-1]
        ds.BitsAllocated = 8 if pixels.dtype.itemsize == 1 else 16
        ds.BitsStored, ds.HighBit = bits_stored, bits_stored - 1
        ds.PixelRepresentation = 1 if pixels.dtype.kind == "i" else 0
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        if frames > 1:
            ds.NumberOfFrames = frames
        ds.ViewPosition = "PA"
        ds.PixelSpacing = [0.143, 0.139]
        for key, value in attributes.items():
            setattr(ds, key, value)
        ds.PixelData = pixels.tobytes()
        ds["PixelData"].VR = "OB" if ds.BitsAllocated == 8 else "OW"
        return ds

    def save(ds, name):
        ds.save_as(os.path.join(OUT, name), enforce_file_format=True)

    def values_png(array, name):
        Image.fromarray(np.ascontiguousarray(array)).save(os.path.join(OUT, name))

    base8 = reduced.astype(np.uint8)
    base16 = (reduced * 16 + (np.indices(reduced.shape).sum(axis=0) % 16)).astype(np.uint16)  # 12 bits used
    save(dataset(base8, 8, "base8"), "base8.dcm")
    save(dataset(base16, 12, "base16", RescaleSlope=2, RescaleIntercept=-100, WindowCenter=3000, WindowWidth=4000), "base16.dcm")
    values_png(pydicom.dcmread(os.path.join(OUT, "base8.dcm")).pixel_array, "base8.values.png")
    values_png(pydicom.dcmread(os.path.join(OUT, "base16.dcm")).pixel_array, "base16.values.png")
    # pydicom's rendering of base16: Modality LUT then the VOI window, scaled to 8 bits.
    from pydicom.pixels import apply_modality_lut, apply_voi_lut
    ds = pydicom.dcmread(os.path.join(OUT, "base16.dcm"))
    windowed = apply_voi_lut(apply_modality_lut(ds.pixel_array, ds), ds)
    # pydicom windows into the Modality LUT's output range, [0, 4095] * slope + intercept.
    low, high = -100, (2 ** 12 - 1) * 2 - 100
    values_png(((windowed - low) / (high - low) * 255).round().astype(np.uint8), "base16.pydicom.png")

    # Garbage above Bits Stored (must be masked), signed data with a CT-like intercept,
    # MONOCHROME1, and a two-frame file whose first frame is the image.
    save(dataset(base16 | 0xA000, 12, "masked16"), "masked16.dcm")
    signed = (base16.astype(np.int16) - 2048)
    save(dataset(signed, 12, "signed16", RescaleIntercept=-1024), "signed16.dcm")
    values_png((signed.astype(np.int32) + 32768).astype(np.uint16), "signed16.values-plus-32768.png")
    save(dataset(base8, 8, "monochrome1", PhotometricInterpretation="MONOCHROME1"), "monochrome1.dcm")
    save(dataset(np.stack([base8, 255 - base8]), 8, "two-frames"), "two-frames.dcm")
    # Hostile numbers: a window centre that is not finite and a slope that overflows to infinity.
    config = pydicom.config
    config.settings.writing_validation_mode = config.IGNORE
    hostile = dataset(base8, 8, "hostile-numbers", WindowWidth=100, RescaleSlope="1e308", RescaleIntercept="1e308")
    hostile.add_new(0x00281050, "DS", "nan")
    save(hostile, "hostile-numbers.dcm")
    config.settings.writing_validation_mode = config.WARN

    def convert(tool, flag, source_name, name):
        run(tool, *([flag] if flag else []), os.path.join(OUT, source_name), os.path.join(OUT, name))

    convert("dcmconv", "+ti", "base16.dcm", "implicit-le16.dcm")
    convert("dcmconv", "+tb", "base16.dcm", "explicit-be16.dcm")
    convert("dcmconv", "+td", "base16.dcm", "deflated16.dcm")
    convert("dcmcrle", None, "base16.dcm", "rle16.dcm")
    convert("dcmcrle", None, "base8.dcm", "rle8.dcm")
    convert("dcmcrle", None, "two-frames.dcm", "rle-two-frames.dcm")
    # +un keeps the SOP Instance UID on lossy compression, so reruns give the same files.
    run("dcmcjpeg", "+eb", "+un", os.path.join(OUT, "base8.dcm"), os.path.join(OUT, "jpeg-baseline8.dcm"))
    run("dcmcjpeg", "+ee", "+un", os.path.join(OUT, "base8.dcm"), os.path.join(OUT, "jpeg-extended8.dcm"))
    run("dcmcjpeg", "+ee", "+un", os.path.join(OUT, "base16.dcm"), os.path.join(OUT, "jpeg-extended12.dcm"))
    # 12-bit extended JPEG at quality 20 (quantization steps above 255: 16-bit DQT entries) and
    # with two frames (the second inverted, so a wrong frame shows).
    run("dcmcjpeg", "+ee", "+un", "+q", "20", os.path.join(OUT, "base16.dcm"), os.path.join(OUT, "jpeg-extended12-q20.dcm"))
    two16 = os.path.join(OUT, "two-frames16.tmp.dcm")
    dataset(np.stack([base16, 4095 - base16]), 12, "two-frames16").save_as(two16, enforce_file_format=True)
    run("dcmcjpeg", "+ee", "+un", two16, os.path.join(OUT, "jpeg-extended12-two-frames.dcm"))
    os.remove(two16)
    # 12-bit noise with saturated pixels at quality 100 (every step 1): the largest
    # coefficients and IDCT outputs clamped at 0 and 4095.
    noise = np.random.default_rng(12).integers(0, 4096, size=(48, 64))
    noise[::7, ::5], noise[3::7, 2::5] = 0, 4095
    noise16 = os.path.join(OUT, "noise16.tmp.dcm")
    dataset(noise.astype(np.uint16), 12, "noise16").save_as(noise16, enforce_file_format=True)
    run("dcmcjpeg", "+ee", "+un", "+q", "100", noise16, os.path.join(OUT, "jpeg-extended12-noise.dcm"))
    os.remove(noise16)
    run("dcmcjpeg", "+el", "+sv", "6", os.path.join(OUT, "base16.dcm"), os.path.join(OUT, "jpeg-lossless-sv6-16.dcm"))
    run("dcmcjpeg", "+el", "+sv", "7", os.path.join(OUT, "base8.dcm"), os.path.join(OUT, "jpeg-lossless-sv7-8.dcm"))
    run("dcmcjpeg", "+el", "+sv", "4", "+pt", "2", os.path.join(OUT, "base16.dcm"), os.path.join(OUT, "jpeg-lossless-sv4-pt2-16.dcm"))
    convert("dcmcjpeg", "+e1", "base16.dcm", "jpeg-lossless-sv1-16.dcm")
    convert("dcmcjpeg", "+e1", "two-frames.dcm", "jpeg-lossless-two-frames.dcm")
    convert("dcmcjpls", "+el", "base16.dcm", "jpeg-ls-lossless16.dcm")
    run("dcmcjpls", "+en", "+un", os.path.join(OUT, "base16.dcm"), os.path.join(OUT, "jpeg-ls-near16.dcm"))
    convert("gdcmconv", "--j2k", "base16.dcm", "j2k-lossless16.dcm")
    run("gdcmconv", "--j2k", "--lossy", "-q", "40", os.path.join(OUT, "base16.dcm"), os.path.join(OUT, "j2k-lossy16.dcm"))
    # What other implementations decode from the lossy files (dcmtk's IJG, dcmtk's CharLS, GDCM's OpenJPEG).
    # 12-bit with restart intervals every 5 blocks (mid-row: 8 blocks a row), re-encoded
    # losslessly from jpeg-extended12.dcm; dcmdjpeg must decode it to the same pixels.
    from pydicom.encaps import encapsulate, generate_frames
    ds = pydicom.dcmread(os.path.join(OUT, "jpeg-extended12.dcm"))
    stream = next(generate_frames(ds.PixelData, number_of_frames=1))
    ds.PixelData = encapsulate([add_restart_markers(stream, 5)])
    ds.save_as(os.path.join(OUT, "jpeg-extended12-restart.dcm"))
    # (dcmdjpeg decodes 12-bit JPEG with IJG 6b's libijg12: an independent 12-bit reference.)
    for name, tool in [("jpeg-baseline8", "dcmdjpeg"), ("jpeg-extended8", "dcmdjpeg"),
                       ("jpeg-extended12", "dcmdjpeg"), ("jpeg-extended12-q20", "dcmdjpeg"),
                       ("jpeg-extended12-two-frames", "dcmdjpeg"), ("jpeg-extended12-noise", "dcmdjpeg"),
                       ("jpeg-extended12-restart", "dcmdjpeg"),
                       ("jpeg-ls-near16", "dcmdjpls"), ("j2k-lossy16", "gdcmconv")]:
        raw = os.path.join(OUT, name + ".raw.dcm")
        run(tool, *(["--raw"] if tool == "gdcmconv" else []), os.path.join(OUT, name + ".dcm"), raw)
        pixels = pydicom.dcmread(raw).pixel_array
        values_png(pixels[0] if pixels.ndim == 3 else pixels, name + ".reference.png")  # first frame
        os.remove(raw)

    same = [np.asarray(Image.open(os.path.join(OUT, n + ".reference.png"))) for n in ("jpeg-extended12", "jpeg-extended12-restart")]
    assert (same[0] == same[1]).all(), "adding restart markers changed what dcmdjpeg decodes"

    # A syntax nobody here decodes (MPEG2 labelled), a truncated file, a corrupt RLE frame.
    ds = pydicom.dcmread(os.path.join(OUT, "jpeg-baseline8.dcm"))
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.100"
    ds.save_as(os.path.join(OUT, "mpeg2-labelled.dcm"))
    data = open(os.path.join(OUT, "base16.dcm"), "rb").read()
    open(os.path.join(OUT, "base16-truncated.dcm"), "wb").write(data[: len(data) - 2000])
    data = open(os.path.join(OUT, "rle16.dcm"), "rb").read()
    open(os.path.join(OUT, "rle16-truncated.dcm"), "wb").write(data[: len(data) - 500])
    open(os.path.join(OUT, "not-dicom.dcm"), "wb").write(b"\0" * 200)


def add_restart_markers(stream, interval):
    """Re-encodes a one-component sequential JPEG (one scan, as dcmcjpeg writes) losslessly with
    a restart marker every `interval` blocks, since dcmcjpeg has no restart option: decodes the
    Huffman-coded coefficients, then writes them again with the same AC table, a DC table with a
    code for every category (predictions restart at 0, so new difference sizes appear) and DRI."""
    def segments(data):
        position, out = 2, []
        while True:
            marker, length = data[position + 1], data[position + 2] << 8 | data[position + 3]
            out.append((marker, data[position + 4:position + 2 + length]))
            position += 2 + length
            if marker == 0xDA:
                return out, position

    def codes(counts, symbols):                      # T.81 Annex C: symbol -> (code, length)
        table, code, index = {}, 0, 0
        for length in range(1, 17):
            for _ in range(counts[length - 1]):
                table[symbols[index]] = (code, length)
                code, index = code + 1, index + 1
            code <<= 1
        return table

    header, start = segments(stream)
    tables, frame = {}, None
    for marker, body in header:
        if marker == 0xC4:
            at = 0
            while at < len(body):
                counts = list(body[at + 1:at + 17])
                tables[body[at]] = codes(counts, list(body[at + 17:at + 17 + sum(counts)]))
                at += 17 + sum(counts)
        if marker in (0xC0, 0xC1):
            frame = body
    height, width = frame[1] << 8 | frame[2], frame[3] << 8 | frame[4]
    assert frame[5] == 1, "one component only"
    sos = header[-1][1]
    dc_id, ac_id = sos[2] >> 4, 0x10 | (sos[2] & 15)
    decode_dc = {v: k for k, v in tables[dc_id].items()}
    decode_ac = {v: k for k, v in tables[ac_id].items()}
    # Entropy-coded bits with the stuffed zero bytes removed, up to the EOI marker.
    end = stream.rindex(b"\xff\xd9")
    bits = "".join(format(b, "08b") for b in stream[start:end].replace(b"\xff\x00", b"\xff"))
    at = 0

    def symbol(table):
        nonlocal at
        for length in range(1, 17):
            key = (int(bits[at:at + length], 2), length)
            if key in table:
                at += length
                return table[key]
        raise ValueError("bad code")

    def receive(size):
        nonlocal at
        value = int(bits[at:at + size], 2) if size else 0
        at += size
        return value if size == 0 or value >= 1 << (size - 1) else value - (1 << size) + 1

    blocks, dc = [], 0
    for _ in range(((width + 7) // 8) * ((height + 7) // 8)):
        dc += receive(symbol(decode_dc))
        ac, k = [], 1
        while k < 64:
            rs = symbol(decode_ac)
            size = rs & 15
            ac.append((rs, bits[at:at + size]))
            at += size
            if size == 0 and rs != 0xF0:
                break
            k += (rs >> 4) + 1 if size else 16
        blocks.append((dc, ac))

    dc_counts = [0, 0, 0, 0, 16] + [0] * 11
    dc_codes = codes(dc_counts, list(range(16)))
    out, pending = bytearray(), ""

    def put(text):
        nonlocal pending
        pending += text
        while len(pending) >= 8:
            out.append(int(pending[:8], 2))
            if out[-1] == 0xFF:
                out.append(0)
            pending = pending[8:]

    def flush():
        nonlocal pending
        if pending:
            put("1" * (8 - len(pending)))

    def code(table, value):
        c, length = table[value]
        return format(c, "0%db" % length)

    prediction = 0
    for index, (dc, ac) in enumerate(blocks):
        if index and index % interval == 0:
            flush()
            out.extend(bytes([0xFF, 0xD0 + (index // interval - 1) % 8]))
            prediction = 0
        difference, prediction = dc - prediction, dc
        size = abs(difference).bit_length()
        put(code(dc_codes, size) + (format(difference if difference >= 0 else difference + (1 << size) - 1, "0%db" % size) if size else ""))
        for rs, extra in ac:
            put(code(tables[ac_id], rs) + extra)
    flush()

    def segment(marker, body):
        return bytes([0xFF, marker, (len(body) + 2) >> 8, (len(body) + 2) & 255]) + bytes(body)

    result = bytearray(b"\xff\xd8")
    for marker, body in header[:-1]:
        result += segment(marker, body)
    result += segment(0xC4, bytes([dc_id]) + bytes(dc_counts) + bytes(range(16)))   # replaces the DC table
    result += segment(0xDD, bytes([interval >> 8, interval & 255]))
    result += segment(0xDA, sos) + out + b"\xff\xd9"
    return bytes(result)


def write_real_dicom_crops(directory):
    """pydicom's pixels of the six shared NIH DICOMs at rows/columns 500..515, stacked
    vertically (16 x 96), so the Swift tests compare real files with pydicom."""
    import pydicom
    crops = [pydicom.dcmread(os.path.join(directory, "test%d.dcm" % i)).pixel_array[500:516, 500:516]
             for i in range(1, 7)]
    Image.fromarray(np.vstack(crops).astype(np.uint8)).save(os.path.join(OUT, "nih-dicom-crops.png"))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    write_png_fixtures()
    write_jpeg_fixtures()
    source = os.path.join(ROOT, "..", "shared", "data", "nih", "dicom", "test2.dcm")
    if os.path.exists(source):
        write_dicom_fixtures(source)
        write_real_dicom_crops(os.path.dirname(source))
    else:
        print("skipping DICOM fixtures: %s is missing" % source)
