#!/usr/bin/env python3
"""Drives a running `thorax serve` with NVIDIA's tritonclient[http] and plain HTTP requests and
prints what it got as JSON, for ThoraxCLITests.ServeCommandTests to assert on.

    serve-client.py HOST:PORT TOKEN IMAGE...

Waits (at most 120 s) for /v2/health/ready, then: metadata, inference of the images as a BYTES
tensor in binary data (probabilities and the top-3 classification), /v1/predict of each image,
one figure, and the bad requests (wrong content type, truncated image, a declared 2 GB body,
no token, unknown model), each answered with its status and error.
"""
import http.client
import json
import sys
import time

import numpy as np
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

url, token, files = sys.argv[1], sys.argv[2], sys.argv[3:]
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

result = {
    "live": client.is_server_live(),
    "ready": client.is_server_ready(),
    "model_ready": client.is_model_ready("default", headers=auth()),
    "metadata": client.get_model_metadata("default", headers=auth()),
}

images = [open(path, "rb").read() for path in files]
image_input = triton.InferInput("images", [len(images)], "BYTES")
image_input.set_data_from_numpy(np.array(images, dtype=np.object_), binary_data=True)
outputs = [triton.InferRequestedOutput("probabilities", binary_data=True)]
response = client.infer("default", [image_input], outputs=outputs, headers=auth())
result["probabilities"] = response.as_numpy("probabilities").tolist()
outputs = [triton.InferRequestedOutput("probabilities", class_count=3)]
response = client.infer("default", [image_input], outputs=outputs, headers=auth())
result["classification"] = [[value.decode() for value in row] for row in response.as_numpy("probabilities")]


def request(method, path, body=b"", headers=None, declared=None):
    """One request on its own connection; `declared` overrides the Content-Length sent."""
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    connection.putrequest(method, path)
    for name, value in (headers or {}).items():
        connection.putheader(name, value)
    connection.putheader("Content-Length", str(len(body) if declared is None else declared))
    connection.endheaders()
    try:
        connection.send(body)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered before reading the whole body
    answer = connection.getresponse()
    data = answer.read()
    connection.close()
    return answer.status, answer.getheader("Content-Type"), data


def png_request(body, path="/v1/predict", with_token=True, content_type="image/png", declared=None):
    headers = {"Content-Type": content_type, **(auth() if with_token else {})}
    status, _, data = request("POST", path, body, headers, declared)
    try:
        return {"status": status, "body": json.loads(data)}
    except ValueError:
        return {"status": status, "body": data.decode(errors="replace")}


result["v1"] = [png_request(image)["body"] for image in images]
answer = png_request(images[0], path="/v1/predict?heatmaps=all")["body"]
status, content_type, figure = request("GET", answer["classes"][0]["heatmap"], headers=auth())
result["figure"] = {"status": status, "content_type": content_type, "png": figure[:8] == b"\x89PNG\r\n\x1a\n"}


def failure(call):
    try:
        call()
    except InferenceServerException as error:
        return {"status": str(error.status()), "message": error.message()}
    return None


result["bad"] = {
    "wrong_type": png_request(images[0], content_type="text/plain"),
    "truncated": png_request(images[0][: len(images[0]) // 2]),
    "huge": png_request(images[0][:1000], declared=2 << 30),
    "no_token": png_request(images[0], with_token=False),
    "unknown_model": png_request(images[0], path="/v1/predict?model=missing"),
    "oip_unknown_model": failure(lambda: client.infer("missing", [image_input], headers=auth())),
    "oip_no_token": failure(lambda: client.infer("default", [image_input])),
}
print(json.dumps(result))
