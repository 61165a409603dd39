#!/usr/bin/env python3
"""Builds the label benchmark's input: a CSV (id,report) of at least N reports, made by
repeating real OpenI reports (FINDINGS and IMPRESSION text of the given XML files) with unique ids.

usage: bench-label-make-csv.py OUT.csv N XML_DIR [XML_DIR ...]
"""
import csv
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET


def reports(folders):
    for folder in folders:
        for path in sorted(glob.glob(os.path.join(folder, "**", "*.xml"), recursive=True)):
            root = ET.parse(path).getroot()
            uid = root.find("uId").get("id")
            parts = []
            for node in root.iter("AbstractText"):
                label = node.get("Label")
                if label in ("FINDINGS", "IMPRESSION") and node.text and node.text.strip():
                    parts.append(f"{label}: {node.text.strip()}")
            if parts:
                yield uid, "\n".join(parts)


def main():
    out, count, folders = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    base = list(reports(folders))
    if not base:
        sys.exit("no reports with FINDINGS or IMPRESSION text found in " + ", ".join(folders))
    with open(out, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "report"])
        for n in range(count):
            uid, text = base[n % len(base)]
            writer.writerow([f"{uid}-{n // len(base)}", text])


if __name__ == "__main__":
    main()
