#!/usr/bin/env python3
"""Drives a running DICOMweb server with dicomweb-client (PyPI) and prints what it found as JSON,
for ThoraxCLITests.ServeDICOMwebTests (against `thorax serve`) to assert on.

    dicomweb-client.py URL TOKEN NIH_DIR FIXTURES_DIR OUT_DIR FIXTURE...

Stores the NIH DICOMs of NIH_DIR in one request (and those refused as duplicates of a stored
UID again under fresh UIDs), and the decoder fixtures named (one per transfer syntax) in
another, each with a fresh SOP Instance UID since several share one; retrieves every stored instance and compares its transfer syntax and pixel data with what
was sent; searches studies, series and instances; finds the results of the first NIH instance,
saves its report to OUT_DIR/report.dcm (read here with highdicom as a TID 1500 measurement
report) and its first figure to OUT_DIR/figure.dcm (pixels decoded with pydicom); reads
metadata and rendered images; and asks for an instance that is not there. Every frame of every
stored NIH instance and fixture is retrieved (retrieve_instance_frames) and compared with the
bytes of pydicom's decoded pixel array, where pydicom can decode it, as is the Pixel Data
BulkDataURI of the metadata (retrieve_bulkdata). Last, /metrics: how many images the served
model's batcher ran.
"""
import json
import os
import sys

import highdicom as hd
import numpy as np
import pydicom
import requests
from dicomweb_client.api import DICOMwebClient
from pydicom.uid import generate_uid
from requests import HTTPError

url, token, nih_dir, fixtures_dir, out_dir = sys.argv[1:6]
fixture_names = sys.argv[6:]
# A debug build stores a film with its figures in seconds, and a store request holds several:
# the client's default 20 s read timeout is too short for them on a loaded machine.
client = DICOMwebClient(url=url, headers={"Authorization": f"Bearer {token}"}, timeout=900)
result = {}


def store(datasets):
    """Stores datasets; returns the stored SOP Instance UIDs and the failed ones with their reasons."""
    response = client.store_instances(datasets)
    stored = [item.ReferencedSOPInstanceUID for item in response.get("ReferencedSOPSequence", [])]
    failed = [[item.ReferencedSOPInstanceUID, int(item.FailureReason)] for item in response.get("FailedSOPSequence", [])]
    return stored, failed


def round_trip(ds):
    """Retrieves ds's instance: its transfer syntax and whether its pixel data is unchanged."""
    back = client.retrieve_instance(ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)
    return {
        "transfer_syntax": str(back.file_meta.TransferSyntaxUID),
        "sent_transfer_syntax": str(ds.file_meta.TransferSyntaxUID),
        "pixels_equal": back.PixelData == ds.PixelData,
    }


def pixel_bytes(ds):
    """pydicom's decoded pixel array as little-endian bytes, frame by frame; None when pydicom
    has no decoder for the syntax here."""
    try:
        array = ds.pixel_array
    except (RuntimeError, NotImplementedError):
        return None
    array = array.astype(array.dtype.newbyteorder("<"))
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    return [array.tobytes()] if frames == 1 else [frame.tobytes() for frame in array]


def frames_compared(ds):
    """Every frame of ds's instance as retrieved, against pydicom's: True, False, or None (no decoder)."""
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    got = client.retrieve_instance_frames(ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID,
                                          frame_numbers=list(range(1, frames + 1)),
                                          media_types=(("application/octet-stream", "1.2.840.10008.1.2.1"),))
    expected = pixel_bytes(ds)
    return {"frames": len(got), "equal": None if expected is None else [bytes(frame) for frame in got] == expected}


def renamed(ds):
    """ds under a fresh SOP Instance UID."""
    uid = generate_uid()
    ds.SOPInstanceUID = uid
    ds.file_meta.MediaStorageSOPInstanceUID = uid
    return ds


# Four of the NIH files are different images under one SOP Instance UID: the service stores the
# first and refuses the others as duplicates (0111); under fresh UIDs, as an archive would give
# them, they are stored.
nih = [pydicom.dcmread(os.path.join(nih_dir, name)) for name in sorted(os.listdir(nih_dir)) if name.endswith(".dcm")]
stored, failed = store(nih)
result["nih"] = {"sent": [ds.SOPInstanceUID for ds in nih], "stored": stored, "failed": failed}
seen = set()
duplicates = []
for ds in nih:
    if ds.SOPInstanceUID in seen:
        duplicates.append(ds)
    seen.add(ds.SOPInstanceUID)
stored, failed = store([renamed(ds) for ds in duplicates])
result["nih_renamed"] = {"sent": [ds.SOPInstanceUID for ds in duplicates], "stored": stored, "failed": failed}
result["nih_round_trips"] = [round_trip(ds) for ds in nih]
result["nih_frames"] = [frames_compared(ds) for ds in nih]

fixtures = [(name, renamed(pydicom.dcmread(os.path.join(fixtures_dir, name)))) for name in fixture_names]
stored, failed = store([ds for _, ds in fixtures])
result["fixtures"] = {name: {"stored": ds.SOPInstanceUID in stored,
                             "failure": next((reason for uid, reason in failed if uid == ds.SOPInstanceUID), None),
                             **round_trip(ds), **frames_compared(ds)} for name, ds in fixtures}

# Stored again: the same bytes change nothing and succeed.
stored, failed = store(nih[:1])
result["stored_again"] = {"stored": stored, "failed": failed}

studies = client.search_for_studies()
result["studies"] = len(studies)
result["studies_of_patient_1"] = [pydicom.Dataset.from_json(s).StudyInstanceUID
                                  for s in client.search_for_studies(search_filters={"PatientID": "1"})]
result["studies_with_sr"] = len(client.search_for_studies(search_filters={"ModalitiesInStudy": "SR"}))
result["studies_page"] = len(client.search_for_studies(limit=2, offset=1))

source = nih[0]
series = [pydicom.Dataset.from_json(s) for s in client.search_for_series(source.StudyInstanceUID)]
result["series_modalities"] = sorted(s.Modality for s in series)
report_series = next(s for s in series if s.Modality == "SR")
report_instance = pydicom.Dataset.from_json(
    client.search_for_instances(source.StudyInstanceUID, report_series.SeriesInstanceUID)[0])
report = client.retrieve_instance(source.StudyInstanceUID, report_series.SeriesInstanceUID, report_instance.SOPInstanceUID)
report_path = os.path.join(out_dir, "report.dcm")
report.save_as(report_path, enforce_file_format=True)
sr = hd.sr.srread(report_path)
content = sr.content
result["report"] = {
    "sop_class_uid": sr.SOPClassUID,
    "study_instance_uid": sr.StudyInstanceUID,
    "is_measurement_report": isinstance(content, hd.sr.MeasurementReport),
    "findings": [group.tracking_identifier for group in content.get_image_measurement_groups()],
    "regions": len(content.get_planar_roi_measurement_groups()),
    "source": sr.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[0]
        .ReferencedSOPSequence[0].ReferencedSOPInstanceUID,
}

figure_series = [s for s in series if s.Modality == "OT"]
result["figures"] = 0
if figure_series:
    figures = client.search_for_instances(source.StudyInstanceUID, figure_series[0].SeriesInstanceUID)
    result["figures"] = len(figures)
    first = pydicom.Dataset.from_json(figures[0])
    figure = client.retrieve_instance(source.StudyInstanceUID, figure_series[0].SeriesInstanceUID, first.SOPInstanceUID)
    figure.save_as(os.path.join(out_dir, "figure.dcm"), enforce_file_format=True)
    pixels = figure.pixel_array
    result["figure"] = {"shape": list(pixels.shape), "photometric_interpretation": figure.PhotometricInterpretation,
                        "study_instance_uid": figure.StudyInstanceUID}

metadata_json = client.retrieve_instance_metadata(source.StudyInstanceUID, source.SeriesInstanceUID, source.SOPInstanceUID)
pixel_data_uri = metadata_json.get("7FE00010", {}).get("BulkDataURI")
bulk = client.retrieve_bulkdata(pixel_data_uri) if pixel_data_uri else []
metadata = pydicom.Dataset.from_json(metadata_json, bulk_data_uri_handler=lambda tag, vr, uri: None)
result["metadata"] = {"patient_id": metadata.PatientID, "rows": int(metadata.Rows), "columns": int(metadata.Columns),
                      "has_inline_pixel_data": "Value" in metadata_json.get("7FE00010", {})
                                               or "InlineBinary" in metadata_json.get("7FE00010", {}),
                      "pixel_data_uri": pixel_data_uri, "bulk_parts": len(bulk),
                      "bulk_equal": bool(bulk) and bulk[0] == pixel_bytes(source)[0]}
report_metadata = pydicom.Dataset.from_json(client.retrieve_instance_metadata(
    source.StudyInstanceUID, report_series.SeriesInstanceUID, report_instance.SOPInstanceUID))
result["report_metadata_items"] = len(report_metadata.ContentSequence)

png = client.retrieve_instance_rendered(source.StudyInstanceUID, source.SeriesInstanceUID, source.SOPInstanceUID,
                                        media_types=("image/png",))
jpeg = client.retrieve_instance_rendered(source.StudyInstanceUID, source.SeriesInstanceUID, source.SOPInstanceUID,
                                         media_types=("image/jpeg",))
result["rendered"] = {"png": png[:8] == b"\x89PNG\r\n\x1a\n", "jpeg": jpeg[:3] == b"\xff\xd8\xff"}

try:
    client.retrieve_instance(source.StudyInstanceUID, source.SeriesInstanceUID, "2.25.1")
    result["missing"] = 200
except HTTPError as error:
    result["missing"] = error.response.status_code

try:
    client.retrieve_instance_frames(source.StudyInstanceUID, source.SeriesInstanceUID, source.SOPInstanceUID,
                                    frame_numbers=[2])
    result["missing_frame"] = 200
except HTTPError as error:
    result["missing_frame"] = error.response.status_code

metrics = requests.get(url.rsplit("/dicom-web", 1)[0] + "/metrics", headers={"Authorization": f"Bearer {token}"}).text
result["batched_images"] = next((float(line.split()[-1]) for line in metrics.splitlines()
                                 if line.startswith('thorax_batch_size_images_sum{model="default"}')), 0)

print(json.dumps(result))
