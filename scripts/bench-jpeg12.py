#!/usr/bin/env python3
"""12-bit JPEG (DICOM .51) decode time on a 1024 x 1024 image: Thorax's Swift decoder against
dcmtk's `dcmdjpeg` (IJG 6b, libijg12), with libjpeg-turbo on the 8-bit original as a second
baseline; checks that Thorax's stored values equal dcmdjpeg's.

The 12-bit image is the test data's nih/dicom/test1.dcm values x 16 plus a 0-15 ramp in the low
bits (12 bits stored), encoded by `dcmcjpeg +ee` (quality 90); the 8-bit one is test1.dcm itself
encoded the same way. Reports medians of --repeats runs:
- thorax: `thorax image bench` decode median (in process: DICOM parse, JPEG decode, stored
  values, window to 8 bits), 12-bit (Swift) and 8-bit (libjpeg-turbo);
- dcmdjpeg: whole process (start, read, decode, write an uncompressed DICOM), wall and user+sys.
So the ratio thorax / dcmdjpeg is unfavourable to Thorax (dcmdjpeg's figure includes its I/O).

    python3 scripts/bench-jpeg12.py [--thorax .build/release/thorax] [--repeats 11]
"""
import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pydicom
from pydicom.uid import ExplicitVRLittleEndian

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_inputs(source, directory):
    ds = pydicom.dcmread(source)
    values = ds.pixel_array.astype(np.uint16) * 16 + (np.indices(ds.pixel_array.shape).sum(axis=0) * 7 % 16).astype(np.uint16)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = values.tobytes()
    ds["PixelData"].VR = "OW"
    native = os.path.join(directory, "native12.dcm")
    ds.save_as(native, enforce_file_format=True)
    paths = {}
    for label, path in [("12", native), ("8", source)]:
        os.makedirs(os.path.join(directory, label), exist_ok=True)
        paths[label] = os.path.join(directory, label, "test1-extended%s.dcm" % label)
        subprocess.run(["dcmcjpeg", "+ee", path, paths[label]], check=True)
    return paths


def thorax_decode_median(thorax, path, repeats):
    output = subprocess.run([thorax, "image", "bench", "--images", os.path.dirname(path), "--count", "1",
                             "--repeats", str(repeats)], check=True, capture_output=True, text=True).stdout
    return float(re.search(r"decode \(baseline\):\s+([0-9.]+) ms", output).group(1))


def dcmdjpeg_medians(path, output, repeats):
    walls, cpus = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(["dcmdjpeg", path, output], check=True)
        walls.append((time.perf_counter() - start) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--thorax", default=os.path.join(ROOT, ".build", "release", "thorax"))
    parser.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    parser.add_argument("--repeats", type=int, default=11)
    arguments = parser.parse_args()
    source = os.path.join(arguments.data, "nih", "dicom", "test1.dcm")
    if not os.path.exists(source):
        sys.exit("needs %s" % source)
    with tempfile.TemporaryDirectory() as directory:
        paths = make_inputs(source, directory)
        # Same pixels as dcmdjpeg, or the timing means nothing.
        subprocess.run([arguments.thorax, "image", "decode", paths["12"], "--output-directory", directory,
                        "--stored-values"], check=True, capture_output=True)
        raw = os.path.join(directory, "raw.dcm")
        subprocess.run(["dcmdjpeg", paths["12"], raw], check=True)
        reference = pydicom.dcmread(raw).pixel_array.astype(np.int32)
        ours = np.fromfile(os.path.join(directory, "test1-extended12.i32"), dtype="<i4").reshape(reference.shape)
        print("12-bit 1024x1024, %d KB: thorax equals dcmdjpeg: %s" % (os.path.getsize(paths["12"]) // 1024,
                                                                        bool((ours == reference).all())))
        print("load average before: %.2f %.2f %.2f" % os.getloadavg())
        thorax12 = thorax_decode_median(arguments.thorax, paths["12"], arguments.repeats)
        dcmtk_wall, dcmtk_cpu = dcmdjpeg_medians(paths["12"], raw, arguments.repeats)
        thorax8 = thorax_decode_median(arguments.thorax, paths["8"], arguments.repeats)
        dcmtk8_wall, dcmtk8_cpu = dcmdjpeg_medians(paths["8"], raw, arguments.repeats)
        print("thorax 12-bit (Swift), in process:        %7.1f ms" % thorax12)
        print("dcmdjpeg 12-bit, whole process:           %7.1f ms wall, %6.1f ms user+sys  (thorax / dcmdjpeg wall %.2f)"
              % (dcmtk_wall, dcmtk_cpu, thorax12 / dcmtk_wall))
        print("thorax 8-bit (libjpeg-turbo), in process: %7.1f ms  (12-bit Swift / 8-bit turbo %.2f)" % (thorax8, thorax12 / thorax8))
        print("dcmdjpeg 8-bit, whole process:            %7.1f ms wall, %6.1f ms user+sys" % (dcmtk8_wall, dcmtk8_cpu))
        print("load average after: %.2f %.2f %.2f" % os.getloadavg())


if __name__ == "__main__":
    main()
