/// The JSON objects of the Open Inference Protocol v2 (KServe "V2 inference protocol",
/// HTTP/REST), with Triton's binary tensor data and classification extensions' parameters.

/// `$metadata_server_response`.
struct ServerMetadata: Encodable {
    var name: String
    var version: String
    var extensions: [String]
}

/// `$metadata_tensor`: a tensor's name, datatype and shape (-1 for a variable axis).
struct MetadataTensor: Encodable, Equatable {
    var name: String
    var datatype: String
    var shape: [Int]
}

/// `$metadata_model_response`.
struct ModelMetadata: Encodable {
    var name: String
    var versions: [String]
    var platform: String
    var inputs: [MetadataTensor]
    var outputs: [MetadataTensor]
}

/// `$inference_request`.
struct InferenceRequestMessage: Decodable {
    var id: String?
    var parameters: [String: JSONValue]?
    var inputs: [RequestInput]
    var outputs: [RequestOutput]?
}

/// `$request_input`: `data` is absent when the tensor travels as binary data.
struct RequestInput: Decodable {
    var name: String
    var shape: [Int]
    var datatype: String
    var parameters: [String: JSONValue]?
    var data: JSONValue?
}

/// `$request_output`.
struct RequestOutput: Decodable {
    var name: String
    var parameters: [String: JSONValue]?
}

/// `$inference_response`.
struct InferenceResponseMessage: Encodable {
    var modelName: String
    var modelVersion: String
    var id: String?
    var outputs: [ResponseOutput]

    enum CodingKeys: String, CodingKey {
        case modelName = "model_name"
        case modelVersion = "model_version"
        case id, outputs
    }
}

/// `$response_output`: `data` is absent when the tensor travels as binary data, whose size
/// is then in `parameters.binary_data_size`.
struct ResponseOutput: Encodable {
    var name: String
    var shape: [Int]
    var datatype: String
    var parameters: [String: JSONValue]?
    var data: TensorData?
}

/// A tensor's elements, flattened row-major.
enum TensorData: Encodable, Equatable {
    case floats([Float])
    case strings([String])

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .floats(let values): try container.encode(values)
        case .strings(let values): try container.encode(values)
        }
    }
}

/// `$inference_error_response` and every other error body.
struct ErrorMessage: Encodable {
    var error: String
}
