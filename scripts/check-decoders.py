#!/usr/bin/env python3
"""Compares Thorax's decoded pixels with reference decoders on the shared and fixture files.

PNG / JPEG: `thorax image decode` output must equal Pillow's `Image.convert("L")` exactly
(JPEG: within 1, as libjpeg's IDCT variants may round differently; 16-bit colour PNGs: within
1, as Pillow keeps the high byte where Thorax rounds v * 255 / 65535).
DICOM: stored values (`--stored-values`) must equal pydicom's `pixel_array` exactly, after the
file is decompressed by dcmtk or GDCM when it is encapsulated (pydicom here has no codecs);
8-bit lossy JPEG (libjpeg-turbo vs dcmtk's IJG) within 1, 12-bit JPEG (Thorax's Swift decoder vs
dcmtk's libijg12, the same islow IDCT) exactly; the rendered 8-bit image must match pydicom's
Modality LUT + VOI LUT within 1 (MONOCHROME1 inverted, min-max scaling when there is no window).
Fixture DICOMs that Thorax must refuse are listed in EXPECTED_ERRORS; any other failure counts.

    python3 scripts/check-decoders.py [--thorax .build/release/thorax] [--data DIR]

Prints one line per group and exits 1 when any file differs.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import pydicom
from PIL import Image
from pydicom.pixels import apply_modality_lut, apply_voi_lut

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "ImagingTests", "Fixtures")
DECOMPRESSORS = {
    "1.2.840.10008.1.2.4.50": ["dcmdjpeg"], "1.2.840.10008.1.2.4.51": ["dcmdjpeg"],
    "1.2.840.10008.1.2.4.57": ["dcmdjpeg"], "1.2.840.10008.1.2.4.70": ["dcmdjpeg"],
    "1.2.840.10008.1.2.4.80": ["dcmdjpls"], "1.2.840.10008.1.2.4.81": ["dcmdjpls"],
    "1.2.840.10008.1.2.4.90": ["gdcmconv", "--raw"], "1.2.840.10008.1.2.4.91": ["gdcmconv", "--raw"],
    "1.2.840.10008.1.2.5": ["dcmdrle"],
}

# Fixtures made to be refused: truncated files, a syntax nobody here decodes, not DICOM at all.
EXPECTED_ERRORS = {"base16-truncated.dcm", "rle16-truncated.dcm", "mpeg2-labelled.dcm", "not-dicom.dcm"}


def decode_all(thorax, files, directory):
    """Runs `thorax image decode` in batches; returns the set of inputs it failed on."""
    failed = set()
    for start in range(0, len(files), 200):
        batch = files[start:start + 200]
        result = subprocess.run([thorax, "image", "decode", *batch, "--output-directory", directory,
                                 "--stored-values"], capture_output=True, text=True)
        for line in result.stderr.splitlines():
            for f in batch:
                if line.startswith("error: " + f + ":"):
                    failed.add(f)
    return failed


def ours(directory, path, suffix=".png"):
    return os.path.join(directory, os.path.splitext(os.path.basename(path))[0] + suffix)


def check_raster(thorax, files, tolerance, label, directory):
    failed = decode_all(thorax, files, directory)
    worst, bad = 0, []
    for f in files:
        if f in failed:
            bad.append(f + " (not decoded)")
            continue
        reference = np.asarray(Image.open(f).convert("L"), dtype=np.int32)
        mine = np.asarray(Image.open(ours(directory, f)), dtype=np.int32)
        if mine.shape != reference.shape:
            bad.append("%s (shape %s vs %s)" % (f, mine.shape, reference.shape))
            continue
        difference = int(np.abs(mine - reference).max())
        worst = max(worst, difference)
        with open(f, "rb") as handle:
            header = handle.read(26)
        sixteen_bit_colour = header[:8] == b"\x89PNG\r\n\x1a\n" and header[24] == 16 and header[25] in (2, 6)
        if difference > tolerance + (1 if sixteen_bit_colour else 0):
            bad.append("%s (max difference %d)" % (f, difference))
    print("%-28s %4d files, %4d equal within %d (worst %d)" % (label, len(files), len(files) - len(bad), tolerance, worst))
    for line in bad[:10]:
        print("  DIFFERS:", line)
    return not bad


def pydicom_reference(path, scratch):
    """pydicom's reading of `path`, decompressed by dcmtk/GDCM first when needed."""
    ds = pydicom.dcmread(path)
    tool = DECOMPRESSORS.get(str(ds.file_meta.TransferSyntaxUID))
    if tool:
        raw = os.path.join(scratch, "raw-" + os.path.basename(path))
        subprocess.run([*tool, path, raw], check=True, capture_output=True)
        ds = pydicom.dcmread(raw)
    return ds


def render(ds):
    values = ds.pixel_array
    if getattr(ds, "NumberOfFrames", 1) > 1:
        values = values[0]
    modality = apply_modality_lut(values, ds).astype(np.float64)
    if "WindowCenter" in ds and "WindowWidth" in ds:
        windowed = apply_voi_lut(modality, ds).astype(np.float64)
        bits = ds.BitsStored
        low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if ds.PixelRepresentation else (0, 2 ** bits - 1)
        slope, intercept = float(ds.get("RescaleSlope", 1)), float(ds.get("RescaleIntercept", 0))
        low, high = sorted([low * slope + intercept, high * slope + intercept])
        scaled = (windowed - low) / (high - low)
    else:
        low, high = modality.min(), modality.max()
        scaled = (modality - low) / (high - low) if high > low else modality * 0
    image = np.clip(np.round(scaled * 255), 0, 255)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        image = 255 - image
    return values.astype(np.int64), image.astype(np.int32)


def check_dicom(thorax, files, label, directory, lossy_tolerance):
    failed = decode_all(thorax, files, directory)
    good, bad, skipped = 0, [], []
    with tempfile.TemporaryDirectory() as scratch:
        for f in files:
            if f in failed:
                skipped.append(os.path.basename(f))
                continue
            try:
                ds = pydicom_reference(f, scratch)
            except subprocess.CalledProcessError:
                skipped.append(os.path.basename(f) + " (reference tool failed)")
                continue
            values, image = render(ds)
            mine_values = np.fromfile(ours(directory, f, ".i32"), dtype="<i4").reshape(values.shape)
            mine_image = np.asarray(Image.open(ours(directory, f)), dtype=np.int32)
            header = pydicom.dcmread(f, stop_before_pixels=True)
            lossy = str(header.file_meta.TransferSyntaxUID) in (
                "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51") and header.BitsStored <= 8
            value_difference = int(np.abs(mine_values - values).max())
            image_difference = int(np.abs(mine_image - image).max())
            if value_difference > (lossy_tolerance if lossy else 0) or image_difference > 1 + (lossy_tolerance if lossy else 0):
                bad.append("%s (values %d, image %d)" % (os.path.basename(f), value_difference, image_difference))
            else:
                good += 1
    unexpected = [name for name in skipped if name not in EXPECTED_ERRORS]
    print("%-28s %4d files, %4d equal, %d not decoded by thorax (%d expected errors)"
          % (label, len(files), good, len(skipped), len(skipped) - len(unexpected)))
    for line in bad:
        print("  DIFFERS:", line)
    for line in skipped:
        print("  not decoded:", line, "" if line in EXPECTED_ERRORS else "(UNEXPECTED)")
    return not bad and not unexpected


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--thorax", default=None, help="the thorax binary (default: .build/release, else .build/debug)")
    parser.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    arguments = parser.parse_args()
    thorax = arguments.thorax or next((p for p in [os.path.join(ROOT, ".build", c, "thorax") for c in ("release", "debug")]
                                       if os.path.exists(p)), None)
    if not thorax:
        sys.exit("build thorax first: swift build -c release --product thorax")
    ok = True
    with tempfile.TemporaryDirectory() as directory:
        nih = os.path.join(arguments.data, "nih")
        for group in ["images", "images-256", "boxed"]:
            files = sorted(glob.glob(os.path.join(nih, group, "*.png")))
            if files:
                ok &= check_raster(thorax, files, 0, "nih/" + group + " (PIL)", directory)
        dicoms = sorted(glob.glob(os.path.join(nih, "dicom", "*.dcm")))
        if dicoms:
            ok &= check_dicom(thorax, dicoms, "nih/dicom (pydicom)", directory, 0)
        fixtures = sorted(f for f in glob.glob(os.path.join(FIXTURES, "*.dcm")))
        ok &= check_dicom(thorax, fixtures, "fixture DICOMs (pydicom)", directory, 1)
        pngs = sorted(f for f in glob.glob(os.path.join(FIXTURES, "*.png")) if "truncated" not in f and "corrupt" not in f
                      and Image.open(f).mode in ("L", "LA", "RGB", "RGBA", "P"))
        ok &= check_raster(thorax, pngs, 0, "fixture PNGs (PIL)", directory)
        jpegs = sorted(f for f in glob.glob(os.path.join(FIXTURES, "*.jpg")) if "truncated" not in f)
        ok &= check_raster(thorax, jpegs, 1, "fixture JPEGs (PIL)", directory)
    print("all decoders agree with the references" if ok else "DIFFERENCES FOUND")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
