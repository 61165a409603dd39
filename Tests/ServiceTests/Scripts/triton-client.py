#!/usr/bin/env python3
"""Drives a running Open Inference Protocol server with NVIDIA's tritonclient[http] and prints
what it got as JSON, for ServiceTests.TritonClientTests to assert on.

    triton-client.py HOST:PORT TOKEN

Serving the fake model "default" (ServiceFixtures.FakeModel): metadata, readiness, inference
with binary and JSON tensors, encoded images as BYTES, heatmaps, the classification extension,
and the errors of an unknown model and a missing token.
"""
import json
import sys

import numpy as np
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

url, token = sys.argv[1], sys.argv[2]
# A fresh dict for every call: tritonclient adds Inference-Header-Content-Length to the dict it
# is given, and a stale one would be sent with the next request.
auth = {"Authorization": f"Bearer {token}"}
client = triton.InferenceServerClient(url=url)
result = {
    "live": client.is_server_live(),
    "ready": client.is_server_ready(),
    "model_ready": client.is_model_ready("default", headers=dict(auth)),
    "server": client.get_server_metadata(headers=dict(auth)),
    "model": client.get_model_metadata("default", headers=dict(auth)),
}

tensor = np.concatenate([np.full((1, 3, 4, 4), 0.25, np.float32), np.full((1, 3, 4, 4), -1, np.float32)])

# Binary tensor in; no outputs named, so every default output comes back as binary data.
binary_input = triton.InferInput("tensor", list(tensor.shape), "FP32")
binary_input.set_data_from_numpy(tensor, binary_data=True)
response = client.infer("default", [binary_input], headers=dict(auth))
result["binary_probabilities"] = response.as_numpy("probabilities").tolist()

# JSON tensor in, at the versioned path; probabilities as JSON, heatmaps as binary data.
json_input = triton.InferInput("tensor", list(tensor.shape), "FP32")
json_input.set_data_from_numpy(tensor, binary_data=False)
outputs = [triton.InferRequestedOutput("probabilities", binary_data=False),
           triton.InferRequestedOutput("heatmaps", binary_data=True)]
response = client.infer("default", [json_input], outputs=outputs, model_version="1", request_id="req-7", headers=dict(auth))
result["json_probabilities"] = response.as_numpy("probabilities").tolist()
result["heatmaps"] = response.as_numpy("heatmaps").tolist()
result["id"] = response.get_response().get("id")

# Encoded images as a BYTES tensor, answered with the top 3 classes.
images = np.array([bytes([0, 255, 255, 0]), b"a PNG, say"], dtype=np.object_)
image_input = triton.InferInput("images", [2], "BYTES")
image_input.set_data_from_numpy(images)
response = client.infer("default", [image_input], outputs=[triton.InferRequestedOutput("probabilities", class_count=3)],
                        headers=dict(auth))
result["classification"] = [[value.decode() for value in row] for row in response.as_numpy("probabilities")]


def failure(call):
    try:
        call()
    except InferenceServerException as error:
        return {"status": str(error.status()), "message": error.message()}
    return None


result["unknown_model"] = failure(lambda: client.infer("missing", [binary_input], headers=dict(auth)))
result["no_token"] = failure(lambda: client.get_model_metadata("default"))
bad_input = triton.InferInput("images", [1], "BYTES")
bad_input.set_data_from_numpy(np.array([b"BAD bytes"], dtype=np.object_))
result["bad_image"] = failure(lambda: client.infer("default", [bad_input], headers=dict(auth)))
print(json.dumps(result))
