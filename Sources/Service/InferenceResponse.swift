import Foundation

/// The outputs of a request, as the protocol's response: JSON, then the binary data of the
/// outputs that travel as binary, in output order.
struct InferenceResponse {
    var json: [UInt8]
    var binary: [UInt8]

    var hasBinary: Bool { !binary.isEmpty }

    /// Builds the response for `request` from the model's `results` (one per image). Throws
    /// 500 when the model returned the wrong number of results or of values.
    init(request: InferenceRequest, results: [ModelOutput], model: any InferenceModel) throws(ServiceError) {
        let classes = model.classes.count
        let size = model.heatmapSize
        guard results.count == request.batchSize,
              results.allSatisfy({ $0.probabilities.count == classes }) else {
            throw ServiceError(.internalServerError, "model \"\(model.name)\" returned outputs of the wrong size")
        }
        var outputs: [ResponseOutput] = []
        var binary: [UInt8] = []
        for requested in request.outputs {
            var output: ResponseOutput
            switch (requested.name, requested.classification) {
            case (OpenInference.heatmapsOutput, _):
                var values: [Float] = []
                values.reserveCapacity(results.count * classes * size * size)
                for result in results {
                    guard let heatmaps = result.heatmaps, heatmaps.count == classes * size * size else {
                        throw ServiceError(.internalServerError, "model \"\(model.name)\" returned no heatmaps of \(classes)×\(size)×\(size)")
                    }
                    values += heatmaps
                }
                output = ResponseOutput(name: requested.name, shape: [results.count, classes, size, size], datatype: "FP32",
                                        data: .floats(values))
            case (_, let k?):
                let labels = results.flatMap { InferenceResponse.classification($0.probabilities, top: k, labels: model.classes) }
                output = ResponseOutput(name: requested.name, shape: [results.count, k], datatype: "BYTES", data: .strings(labels))
            default:
                output = ResponseOutput(name: requested.name, shape: [results.count, classes], datatype: "FP32",
                                        data: .floats(results.flatMap(\.probabilities)))
            }
            if requested.binary, let data = output.data {
                let bytes: [UInt8]
                switch data {
                case .floats(let values): bytes = TensorCoding.binary(values)
                case .strings(let values): bytes = TensorCoding.binary(values)
                }
                output.parameters = ["binary_data_size": .number(Double(bytes.count))]
                output.data = nil
                binary += bytes
            }
            outputs.append(output)
        }
        let message = InferenceResponseMessage(modelName: model.name, modelVersion: model.version, id: request.id, outputs: outputs)
        do {
            json = Array(try JSONEncoder().encode(message))
        } catch {
            throw ServiceError(.internalServerError, "the response could not be encoded")
        }
        self.binary = binary
    }

    /// Triton's classification extension: the `top` highest values as "value:index:label",
    /// highest first, ties in index order; the value printed as C's "%f" as Triton does.
    static func classification(_ values: [Float], top: Int, labels: [String]) -> [String] {
        let order = values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
        return order.prefix(top).map { index in
            String(format: "%f", Double(values[index])) + ":\(index):" + labels[index]
        }
    }
}
