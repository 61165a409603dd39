#!/usr/bin/env python3
"""Reads result instances with the reference readers and prints what they found as JSON.

    read-results.py sr FILE        highdicom reads FILE as a TID 1500 measurement report
    read-results.py sc FILE RAW    pydicom decodes FILE's pixels; compared with RAW (RGB bytes)

The XCTests (DICOMResultsTests) run this script and assert on its output; any exception
exits non-zero with its traceback on stderr.
"""
import json
import sys

import highdicom as hd
import numpy as np
import pydicom
from pydicom.sr.codedict import codes


def code(concept):
    return [concept.value, concept.scheme_designator, concept.meaning]


def read_sr(path):
    sr = hd.sr.srread(path)
    report = sr.content
    if not isinstance(report, hd.sr.MeasurementReport):
        raise SystemExit(f"{path}: highdicom did not read a TID 1500 measurement report ({type(report).__name__})")
    observers = [
        {
            "type": code(context.observer_type),
            "uid": str(context.observer_identifying_attributes.uid),
            "name": context.observer_identifying_attributes.name,
            "manufacturer": context.observer_identifying_attributes.manufacturer_name,
            "model": context.observer_identifying_attributes.model_name,
        }
        for context in report.get_observer_contexts()
    ]
    findings = []
    for group in report.get_image_measurement_groups():
        measurements = group.get_measurements()
        evaluations = group.get_qualitative_evaluations()
        findings.append({
            "tracking_identifier": group.tracking_identifier,
            "tracking_uid": str(group.tracking_uid),
            "finding": code(group.finding_type),
            "measurements": [
                {"name": code(m.name), "value": float(m.value), "unit": code(m.unit)} for m in measurements
            ],
            "evaluations": [{"name": code(e.name), "value": code(e.value)} for e in evaluations],
        })
    regions = []
    for group in report.get_planar_roi_measurement_groups():
        roi = group.roi
        source = roi.ContentSequence[0].ReferencedSOPSequence[0]
        regions.append({
            "tracking_identifier": group.tracking_identifier,
            "finding": code(group.finding_type),
            "graphic_type": roi.graphic_type.value,
            "points": roi.value.tolist(),
            "source_sop_instance_uid": source.ReferencedSOPInstanceUID,
            "source_sop_class_uid": source.ReferencedSOPClassUID,
        })
    comments = [
        item.TextValue
        for container in sr.ContentSequence if container.ConceptNameCodeSequence[0].CodeValue == "C0034375"
        for item in container.ContentSequence
    ]
    print(json.dumps({
        "sop_class_uid": sr.SOPClassUID,
        "study_instance_uid": sr.StudyInstanceUID,
        "patient_name": str(sr.PatientName),
        "series_instance_uid": sr.SeriesInstanceUID,
        "title": code(hd.sr.CodedConcept.from_dataset(sr.ConceptNameCodeSequence[0])),
        "template": sr.ContentTemplateSequence[0].TemplateIdentifier,
        "observers": observers,
        "findings": findings,
        "regions": regions,
        "comments": comments,
    }))


def read_sc(path, raw_path):
    dataset = pydicom.dcmread(path)
    pixels = dataset.pixel_array
    with open(raw_path, "rb") as f:
        expected = np.frombuffer(f.read(), dtype=np.uint8).reshape(pixels.shape)
    print(json.dumps({
        "sop_class_uid": dataset.SOPClassUID,
        "study_instance_uid": dataset.StudyInstanceUID,
        "photometric_interpretation": dataset.PhotometricInterpretation,
        "shape": list(pixels.shape),
        "dtype": str(pixels.dtype),
        "pixels_equal": bool(np.array_equal(pixels, expected)),
    }))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "sr":
        read_sr(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "sc":
        read_sc(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)
