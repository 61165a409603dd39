#!/usr/bin/env python3
"""Builds Samples/nih/ from the test data's nih folder ($THORAX_SHARED_DATA/nih): a tiny ChestX-ray14 release for the demo.

- images/: the 5 boxed test images (1024x1024) halved to 512x512 8-bit grayscale by 2x2 box
  averaging (PIL's reduce), and 6 train_val images of images-256 copied byte for byte.
- Data_Entry_2017_v2020.csv, BBox_List_2017.csv: the header and these images' rows, byte for byte.
- train_val_list.txt, test_list.txt: these images' names from the official lists.

Box coordinates stay in the release's 1024x1024 frame, as in the original file.
Run from the repository root: python3 scripts/make-samples-nih.py
"""
import os
import shutil
from PIL import Image

SOURCE = os.path.join(os.environ.get("THORAX_SHARED_DATA", os.path.join("..", "shared", "data")), "nih")
TARGET = "Samples/nih"
BOXED = ["00001153_004.png", "00001369_000.png", "00002578_000.png", "00022084_000.png", "00026911_000.png"]
SMALL = ["00000001_000.png", "00000002_000.png", "00000099_013.png", "00000103_000.png",
         "00000334_002.png", "00000493_000.png"]
NAMES = set(BOXED + SMALL)

os.makedirs(os.path.join(TARGET, "images"), exist_ok=True)
for name in BOXED:
    image = Image.open(os.path.join(SOURCE, "boxed", name)).convert("L")
    image.reduce(2).save(os.path.join(TARGET, "images", name), optimize=True)
for name in SMALL:
    shutil.copyfile(os.path.join(SOURCE, "images-256", name), os.path.join(TARGET, "images", name))


def subset_rows(file_name):
    with open(os.path.join(SOURCE, file_name), newline="") as source:
        lines = source.read().splitlines(keepends=True)
    kept = [lines[0]] + [line for line in lines[1:] if line.split(",", 1)[0] in NAMES]
    with open(os.path.join(TARGET, file_name), "w", newline="") as target:
        target.writelines(kept)


subset_rows("Data_Entry_2017_v2020.csv")
subset_rows("BBox_List_2017.csv")
for list_name in ["train_val_list.txt", "test_list.txt"]:
    with open(os.path.join(SOURCE, list_name)) as source:
        names = [line.strip() for line in source if line.strip() in NAMES]
    with open(os.path.join(TARGET, list_name), "w") as target:
        target.write("".join(name + "\n" for name in names))
