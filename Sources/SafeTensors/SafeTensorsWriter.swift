import Foundation

/// Writes tensors as a safetensors file, atomically (a temporary file renamed into place), so
/// that a failed write never leaves a half-written checkpoint.
public enum SafeTensorsWriter {
    /// Encodes `tensors` (in the given order) with `storage` and writes them to `url`.
    /// - Parameters:
    ///   - tensors: name and tensor pairs; names must be unique, values must match shapes.
    ///   - storage: `.float32`, or `.float16` (round to nearest even; values outside float16's
    ///     range are an error naming the tensor rather than a silent infinity).
    ///   - metadata: the optional `__metadata__` string map.
    /// - Throws: `SafeTensorsError` naming the file and the tensor at fault, or `.io`.
    public static func write(_ tensors: [(name: String, tensor: StoredTensor)], to url: URL,
                             storage: SafeTensorsStorage = .float32,
                             metadata: [String: String] = [:]) throws {
        let data = try encode(tensors, storage: storage, metadata: metadata, path: url.path)
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw SafeTensorsError(file: url.path, kind: .io("cannot write: \(error.localizedDescription)"))
        }
    }

    /// The bytes of a safetensors file holding `tensors`; `path` names the file in errors.
    public static func encode(_ tensors: [(name: String, tensor: StoredTensor)],
                              storage: SafeTensorsStorage = .float32,
                              metadata: [String: String] = [:], path: String = "<memory>") throws -> Data {
        func fail(_ kind: SafeTensorsError.Kind) -> SafeTensorsError { SafeTensorsError(file: path, kind: kind) }
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        var seen = Set<String>()
        for (name, tensor) in tensors {
            guard name != "__metadata__", seen.insert(name).inserted else { throw fail(.duplicateName(name)) }
            guard tensor.values.count == tensor.elementCount, tensor.shape.allSatisfy({ $0 >= 0 }) else {
                throw fail(.shapeMismatch(tensor: name, shape: tensor.shape, count: tensor.values.count))
            }
            let bytes = tensor.values.count * storage.dtype.size
            header[name] = ["dtype": storage.dtype.rawValue, "shape": tensor.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var headerData: Data
        do {
            headerData = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        } catch {
            throw fail(.io("cannot encode header: \(error.localizedDescription)"))
        }
        // Pad with spaces to a multiple of 8 so that the data section is aligned, as the
        // reference writer does.
        while headerData.count % 8 != 0 { headerData.append(0x20) }

        var output = Data(capacity: 8 + headerData.count + offset)
        withUnsafeBytes(of: UInt64(headerData.count).littleEndian) { output.append(contentsOf: $0) }
        output.append(headerData)
        for (name, tensor) in tensors {
            switch storage {
            case .float32:
                tensor.values.withUnsafeBufferPointer { values in
                    // Float32 in memory is little-endian on every platform Thorax runs on.
                    output.append(UnsafeBufferPointer(start: values.baseAddress, count: values.count))
                }
            case .float16:
                var halves = [UInt16](repeating: 0, count: tensor.values.count)
                for (i, value) in tensor.values.enumerated() {
                    let half = Float16(value)
                    if half.isInfinite && value.isFinite {
                        throw fail(.unrepresentable(tensor: name, value: value, dtype: "F16"))
                    }
                    halves[i] = half.bitPattern.littleEndian
                }
                halves.withUnsafeBufferPointer { output.append($0) }
            }
        }
        return output
    }
}
