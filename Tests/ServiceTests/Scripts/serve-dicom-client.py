#!/usr/bin/env python3
"""Sends real DICOM files to a running `thorax serve` as /v1/predict bodies (application/dicom)
and as an Open Inference Protocol BYTES tensor (tritonclient[http]), and a truncated copy of
the first both ways; then broken copies of the first whose Patient's Name and Patient ID are
the distinctive NAME and PATIENT_ID, each stored over STOW-RS, posted to /v1/predict and inferred
over OIP. Prints what came back as JSON for ThoraxCLITests.ServeDICOMBodiesTests.

    serve-dicom-client.py HOST:PORT TOKEN NAME PATIENT_ID DICOM...
"""
import http.client
import io
import json
import struct
import sys
import time
import uuid

import pydicom

import numpy as np
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

url, token, name, patient_id, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
host, port = url.rsplit(":", 1)


def auth():
    # A fresh dict for every call: tritonclient adds headers to the dict it is given.
    return {"Authorization": f"Bearer {token}"}


client = triton.InferenceServerClient(url=url)
deadline = time.time() + 120
while not client.is_server_ready():
    if time.time() > deadline:
        sys.exit("the server did not become ready within 120 s")
    time.sleep(0.2)


def post(path, body, content_type):
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    connection.request("POST", path, body, {"Content-Type": content_type, **auth()})
    answer = connection.getresponse()
    data = answer.read()
    connection.close()
    return answer.status, answer.getheader("Content-Type"), data


def predict(body):
    status, content_type, data = post("/v1/predict", body, "application/dicom")
    return {"status": status, "content_type": content_type, "body": json.loads(data)}


def stow(body):
    boundary = "privacy-" + uuid.uuid4().hex
    message = (f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode() + body
               + f"\r\n--{boundary}--\r\n".encode())
    status, _, data = post("/dicom-web/studies", message, f'multipart/related; type="application/dicom"; boundary={boundary}')
    return {"status": status, "body": data.decode(errors="replace")}


def infer(images):
    tensor = triton.InferInput("images", [len(images)], "BYTES")
    tensor.set_data_from_numpy(np.array(images, dtype=np.object_), binary_data=True)
    outputs = [triton.InferRequestedOutput("probabilities", binary_data=True)]
    try:
        return client.infer("default", [tensor], outputs=outputs, headers=auth()).as_numpy("probabilities").tolist()
    except InferenceServerException as error:
        return {"status": str(error.status()), "message": error.message()}


dicoms = [open(path, "rb").read() for path in files]
truncated = dicoms[0][: len(dicoms[0]) // 2]
result = {
    "v1": [predict(body) for body in dicoms],
    "oip": infer(dicoms),
    "v1_truncated": predict(truncated),
    "oip_truncated": infer([dicoms[0], truncated]),
}


def broken_copies(path):
    """The first file with NAME and PATIENT_ID, broken in ways each reader of it must refuse."""
    ds = pydicom.dcmread(path)
    ds.PatientName = name
    ds.PatientID = patient_id

    def encoded(dataset):
        buffer = io.BytesIO()
        dataset.save_as(buffer, enforce_file_format=True)
        return buffer.getvalue()

    whole = encoded(ds)
    at = whole.index(name.encode())
    # Implicit VR little endian: the name's 4-byte length precedes it.
    overflowing = whole[:at - 4] + struct.pack("<I", 0x7FFFFFF0) + whole[at:]
    too_many_rows = ds.copy()
    too_many_rows.Rows = ds.Rows * 2
    named_uid = ds.copy()
    named_uid.SOPInstanceUID = name.replace("^", ".")
    return {
        "truncated_pixels": whole[: len(whole) - 1000],
        "truncated_in_name": whole[: at + len(name) // 2],
        "name_length_overflow": overflowing,
        "rows_beyond_pixels": encoded(too_many_rows),
        "uid_holds_name": encoded(named_uid),
    }


result["broken"] = {}
for kind, body in broken_copies(files[0]).items():
    result["broken"][kind] = {"stow": stow(body), "v1": predict(body), "oip": infer([body])}
print(json.dumps(result))
