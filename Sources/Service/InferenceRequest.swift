import Foundation

/// An inference request read and checked against the model: the images or tensor to run,
/// and which outputs to return how.
struct InferenceRequest {
    enum Input {
        /// (N, C, H, W) row-major.
        case tensor([Float], shape: [Int])
        case images([EncodedImage])
    }

    /// One requested output: its name, whether it travels as binary data, and the top-k of
    /// the classification extension (nil for the raw tensor).
    struct Output: Equatable {
        var name: String
        var binary: Bool
        var classification: Int?
    }

    var id: String?
    var input: Input
    var outputs: [Output]
    var batchSize: Int

    var wantsHeatmaps: Bool { outputs.contains { $0.name == OpenInference.heatmapsOutput } }

    /// Reads `body`: the JSON object, followed by binary tensor data when
    /// `jsonLength` (the Inference-Header-Content-Length header) is given. Throws 400 for
    /// malformed JSON, inputs or outputs the model does not have, shapes or datatypes that do
    /// not match, and binary data whose sizes do not add up.
    init(body: [UInt8], jsonLength: String?, model: any InferenceModel) throws(ServiceError) {
        var json = body[...]
        var binary = body[body.endIndex...]
        if let jsonLength {
            guard let length = Int(jsonLength.trimmingCharacters(in: .whitespaces)), length >= 0, length <= body.count else {
                throw .badRequest("Inference-Header-Content-Length \"\(jsonLength)\" is not a length within the \(body.count)-byte body")
            }
            json = body[..<length]
            binary = body[length...]
        }
        let message: InferenceRequestMessage
        do {
            message = try JSONDecoder().decode(InferenceRequestMessage.self, from: Data(json))
        } catch {
            let extent = jsonLength.map { " (the first \($0) bytes, per \(OpenInference.headerLengthField))" } ?? ""
            throw .badRequest("malformed inference request JSON\(extent): \(InferenceRequest.describe(error))")
        }
        id = message.id
        guard message.inputs.count == 1, let input = message.inputs.first else {
            throw .badRequest("the request has \(message.inputs.count) inputs; give exactly one, "
                + "\"\(OpenInference.tensorInput)\" (FP32) or \"\(OpenInference.imagesInput)\" (BYTES)")
        }
        let binarySize = try InferenceRequest.binarySize(of: input)
        if let binarySize, binarySize != binary.count {
            throw .badRequest("input \"\(input.name)\" declares \(binarySize) bytes of binary data, the body carries \(binary.count)")
        }
        if binarySize == nil && !binary.isEmpty {
            throw .badRequest("the body carries \(binary.count) bytes of binary data that no input declares (binary_data_size)")
        }
        (self.input, batchSize) = try InferenceRequest.read(input, binary: binarySize == nil ? nil : binary, model: model)
        outputs = try InferenceRequest.outputs(message, classes: model.classes.count)
    }

    static func binarySize(of input: RequestInput) throws(ServiceError) -> Int? {
        guard let value = input.parameters?["binary_data_size"] else { return nil }
        guard let size = value.integer, size >= 0 else {
            throw .badRequest("input \"\(input.name)\": binary_data_size is not a byte count")
        }
        return size
    }

    static func read(_ input: RequestInput, binary: ArraySlice<UInt8>?, model: any InferenceModel)
        throws(ServiceError) -> (Input, Int) {
        guard binary != nil || input.data != nil else {
            throw .badRequest("input \"\(input.name)\" has neither data nor binary_data_size")
        }
        switch input.name {
        case OpenInference.tensorInput:
            guard input.datatype == "FP32" else {
                throw .badRequest("input \"\(input.name)\" must be FP32, not \(input.datatype)")
            }
            guard input.shape.count == 4, Array(input.shape.dropFirst()) == model.inputShape else {
                throw .badRequest("input \"\(input.name)\" has shape \(input.shape); this model takes [N, "
                    + model.inputShape.map(String.init).joined(separator: ", ") + "]")
            }
            let count = try checkedBatch(input, model: model) * model.inputShape.reduce(1, *)
            let values: [Float]
            if let binary {
                values = try TensorCoding.floats(fromBinary: binary, count: count, input: input.name)
            } else {
                values = try TensorCoding.floats(fromJSON: input.data ?? .null, count: count, input: input.name)
            }
            return (.tensor(values, shape: input.shape), input.shape[0])
        case OpenInference.imagesInput:
            guard input.datatype == "BYTES" else {
                throw .badRequest("input \"\(input.name)\" must be BYTES, not \(input.datatype)")
            }
            guard input.shape.count == 1 || (input.shape.count == 2 && input.shape[1] == 1) else {
                throw .badRequest("input \"\(input.name)\" has shape \(input.shape); give [N] (or [N, 1]) encoded images")
            }
            let count = try checkedBatch(input, model: model)
            let values: [[UInt8]]
            if let binary {
                values = try TensorCoding.bytes(fromBinary: binary, count: count, input: input.name)
            } else {
                values = try TensorCoding.bytes(fromJSON: input.data ?? .null, count: count, input: input.name)
            }
            return (.images(values.map(EncodedImage.init(bytes:))), input.shape[0])
        default:
            throw .badRequest("unknown input \"\(input.name)\"; this model takes \"\(OpenInference.tensorInput)\" (FP32) "
                + "or \"\(OpenInference.imagesInput)\" (BYTES)")
        }
    }

    /// N, the shape's first axis, checked against the model's batch limit before any data is
    /// read: the element count follows from it, and an absurd N must not size a buffer.
    static func checkedBatch(_ input: RequestInput, model: any InferenceModel) throws(ServiceError) -> Int {
        let batch = input.shape[0]
        guard batch >= 1, batch <= model.maximumBatchSize else {
            throw .badRequest("input \"\(input.name)\" has batch size \(batch); this model takes 1 to \(model.maximumBatchSize)")
        }
        return batch
    }

    /// The requested outputs; without a list, the probabilities (heatmaps cost a pass per
    /// class, so they come only when named).
    static func outputs(_ message: InferenceRequestMessage, classes: Int) throws(ServiceError) -> [Output] {
        let binaryByDefault = message.parameters?["binary_data_output"]?.bool ?? false
        guard let requested = message.outputs else {
            return [Output(name: OpenInference.probabilitiesOutput, binary: binaryByDefault, classification: nil)]
        }
        var outputs: [Output] = []
        for output in requested {
            guard [OpenInference.probabilitiesOutput, OpenInference.heatmapsOutput].contains(output.name) else {
                throw .badRequest("unknown output \"\(output.name)\"; this model has \"\(OpenInference.probabilitiesOutput)\" "
                    + "and \"\(OpenInference.heatmapsOutput)\"")
            }
            guard !outputs.contains(where: { $0.name == output.name }) else {
                throw .badRequest("output \"\(output.name)\" is requested twice")
            }
            var binary = binaryByDefault
            if let value = output.parameters?["binary_data"] {
                guard let flag = value.bool else { throw .badRequest("output \"\(output.name)\": binary_data must be true or false") }
                binary = flag
            }
            var classification: Int?
            if let value = output.parameters?["classification"] {
                guard output.name == OpenInference.probabilitiesOutput else {
                    throw .badRequest("output \"\(output.name)\" cannot be returned as a classification")
                }
                guard let k = value.integer, k >= 1, k <= classes else {
                    throw .badRequest("output \"\(output.name)\": classification must be a count from 1 to \(classes)")
                }
                classification = k
            }
            outputs.append(Output(name: output.name, binary: binary, classification: classification))
        }
        return outputs
    }

    /// A decoding error in a sentence, with the JSON path where Foundation gives one.
    static func describe(_ error: any Error) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return path.isEmpty ? "" : " at \(path)"
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?: return "missing \"\(key.stringValue)\"\(path(context))"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?: return "wrong type\(path(context))"
        case .dataCorrupted(let context)?: return "not valid JSON\(path(context))"
        default: return "\(error)"
        }
    }
}
