#!/usr/bin/env python3
"""Regenerates Fuzz/Corpus/<target>/ (the committed seed corpora) from the repository's test
fixtures plus a few synthetic inputs. Run from the repository root; stdlib only.

Seeds are kept small (the whole corpus stays well under the issue's 5 MB) because libFuzzer's
default -max_len is the largest seed, and long inputs make every execution slower.
Report seeds are synthetic (written here, in the OpenI/NIH shapes) so no real report text is
committed.
"""
import hashlib, json, os, shutil, struct, sys

ROOT = os.getcwd()
IMG = os.path.join(ROOT, "Tests/ImagingTests/Fixtures")
OUT = os.path.join(ROOT, "Fuzz/Corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def fixtures(ext):
    return sorted(f for f in os.listdir(IMG) if f.endswith(ext))


def first_fragment(dcm):
    """The first fragment after the Basic Offset Table of encapsulated Pixel Data, or None."""
    at = dcm.rfind(b"\xe0\x7f\x10\x00")
    if at < 0:
        return None
    p = at + 4
    p += 8 if dcm[p:p + 2] in (b"OB", b"OW") else 4  # explicit VR: VR, reserved, length
    frags = []
    while p + 8 <= len(dcm):
        tag = dcm[p:p + 4]
        n = struct.unpack("<I", dcm[p + 4:p + 8])[0]
        if tag == b"\xfe\xff\xdd\xe0" or tag != b"\xfe\xff\x00\xe0":
            break
        frags.append(dcm[p + 8:p + 8 + n])
        p += 8 + n
    return frags[1] if len(frags) > 1 else None


def us(dcm, group, element):
    """A US attribute's value from an explicit VR little endian data set (good enough for seeds)."""
    at = dcm.find(struct.pack("<HH", group, element) + b"US")
    return struct.unpack("<H", dcm[at + 8:at + 10])[0] if at >= 0 else None


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    for f in fixtures(".dcm"):
        data = open(os.path.join(IMG, f), "rb").read()
        put("FuzzDICOM", f, data)
        frag = first_fragment(data)
        if frag is None:
            continue
        if frag[:2] == b"\xff\xd8":
            put("FuzzJPEG", f.replace(".dcm", ".jpg"), frag)
        if f.startswith("rle"):
            rows, cols = us(data, 0x0028, 0x0010), us(data, 0x0028, 0x0011)
            bits, spp = us(data, 0x0028, 0x0100), us(data, 0x0028, 0x0002) or 1
            head = struct.pack(">HHBB", rows, cols, {8: 0, 16: 1, 32: 2}[bits], 0 if spp == 1 else 1)
            put("FuzzRLE", f.replace(".dcm", ".rle"), head + frag)
    for f in fixtures(".jpg"):
        put("FuzzJPEG", f, open(os.path.join(IMG, f), "rb").read())
    for f in fixtures(".png"):
        data = open(os.path.join(IMG, f), "rb").read()
        if len(data) <= 8192:
            put("FuzzPNG", f, data)

    # Safetensors: the dtype fixture plus small synthetic files (one tensor, several, metadata).
    put("FuzzSafeTensors", "dtypes.safetensors",
        open(os.path.join(ROOT, "Tests/ModelsTests/Fixtures/dtypes.safetensors"), "rb").read())

    def safetensors(header, data):
        h = json.dumps(header, separators=(",", ":")).encode()
        h += b" " * (-len(h) % 8)
        return struct.pack("<Q", len(h)) + h + data
    put("FuzzSafeTensors", "one-f32.safetensors",
        safetensors({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}, b"\0" * 16))
    put("FuzzSafeTensors", "mixed.safetensors", safetensors(
        {"__metadata__": {"format": "pt"}, "a": {"dtype": "F16", "shape": [3], "data_offsets": [0, 6]},
         "b": {"dtype": "I64", "shape": [1], "data_offsets": [6, 14]},
         "c": {"dtype": "BF16", "shape": [], "data_offsets": [14, 16]}}, bytes(range(16))))
    put("FuzzSafeTensors", "empty.safetensors", safetensors({}, b""))

    # Reports: first byte picks the format (0 XML, 1 text, 2 CSV).
    xml = b"""<?xml version="1.0" encoding="utf-8"?>
<eCitation><uId id="CXR0"/><MedlineCitation><Article><Abstract>
<AbstractText Label="COMPARISON">None.</AbstractText>
<AbstractText Label="INDICATION">Cough.</AbstractText>
<AbstractText Label="FINDINGS">Heart size is mildly enlarged. No pleural effusion or pneumothorax. Possible small nodule right base.</AbstractText>
<AbstractText Label="IMPRESSION">1. Mild cardiomegaly. 2. No acute disease; cannot exclude pneumonia.</AbstractText>
</Abstract></Article></MedlineCitation></eCitation>
"""
    put("FuzzReports", "openi.xml.seed", b"\0" + xml)
    put("FuzzReports", "plain.txt.seed", b"\1" + b"""FINDINGS: pa and lateral views. there is a left lower lobe
consolidation, likely atelectasis versus pneumonia. no effusion.
IMPRESSION: no pneumothorax. stable mass in the right upper lobe.
""")
    put("FuzzReports", "headed.csv.seed", b"\2" + b'id,report\r\nr1,"Findings: no edema, no emphysema."\r\n'
        b'r2,"Impression: ""hernia"" not excluded\nbilateral effusions."\r\n')
    put("FuzzReports", "single.csv.seed", b"\2\xef\xbb\xbfreport\nmild fibrosis\n\nfree air? none\n")

    # NIH: first byte picks the reader (0 Data_Entry, 1 BBox_List, 2 a list).
    nih = os.path.join(ROOT, "Tests/StoreTests/Fixtures/nih-small")
    for prefix, name in ((b"\0", "Data_Entry.csv"), (b"\1", "BBox_List.csv"), (b"\2", "test_list.txt")):
        lines = open(os.path.join(nih, name), "rb").read().split(b"\n")[:8]
        put("FuzzNIH", name + ".seed", prefix + b"\n".join(lines) + b"\n")

    # Multipart: byte 0 picks the chunk size, then the Content-Type line, then the body.
    stow = b'multipart/related; type="application/dicom"; boundary="frontier"\n'
    put("FuzzMultipart", "two-parts.seed", b"\x07" + stow + b"preamble\r\n--frontier\r\n"
        b"Content-Type: application/dicom\r\n\r\n\x00\x00DICM\r\n--frontier  \r\n"
        b"Content-Type: application/dicom\r\nContent-Location: b\r\n\r\n\r\n--fronti\r\n--frontier--\r\nepilogue")
    put("FuzzMultipart", "empty-parts.seed", b"\x00multipart/related; boundary=b\n--b\r\n\r\n\r\n--b\r\n\r\nx\r\n--b--")
    put("FuzzMultipart", "folded.seed", b"\x21multipart/mixed; boundary=\"a b\"\n--a b\r\nX: 1\r\n\t2\r\n\r\nbody\r\n--a b--")
    put("FuzzMultipart", "truncated.seed", b"\x03" + stow + b"--frontier\r\nContent-Type: application/dicom\r\n\r\nDI")

    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(OUT) for f in fs)
    print(f"Fuzz/Corpus: {total} bytes")


if __name__ == "__main__":
    main()
