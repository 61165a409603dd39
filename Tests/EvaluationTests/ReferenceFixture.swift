import Foundation
import XCTest

/// The values `scripts/metrics-reference.py` computed with scikit-learn, numpy, scipy and
/// PyTorch, committed as `Fixtures/metrics-reference.json`.
struct ReferenceFixture: Decodable {
    struct AUCCase: Decodable {
        var name: String
        var scores: [Double]
        var labels: [Bool]
        /// A number, or the string "undefined".
        var auc: Expected
        var fpr: [Double]?
        var tpr: [Double]?
        var thresholds_after_infinity: [Double]?
    }

    enum Expected: Decodable, Equatable {
        case value(Double)
        case undefined

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Double.self) {
                self = .value(value)
            } else if try container.decode(String.self) == "undefined" {
                self = .undefined
            } else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a number or \"undefined\"")
            }
        }
    }

    struct WeightedCase: Decodable {
        var name: String
        var scores: [Double]
        var labels: [Bool]
        var weights: [Int]
        var auc: Double
    }

    struct Percentile: Decodable {
        var values: [Double]
        var fractions: [Double]
        var percentiles: [Double]
    }

    struct Map: Decodable {
        var width: Int
        var height: Int
        var values: [Float]
    }

    struct Bilinear: Decodable {
        var width: Int
        var height: Int
        var values: [Float]
        var outputs: [Map]
    }

    struct Region: Decodable {
        var minX: Int
        var maxX: Int
        var minY: Int
        var maxY: Int
        var pixelCount: Int
    }

    struct Components: Decodable {
        var name: String
        var width: Int
        var height: Int
        var mask: [Int]
        var regions: [Region]
    }

    var auc: [AUCCase]
    var weightedAUC: [WeightedCase]
    var percentile: Percentile
    var bilinear: Bilinear
    var components: [Components]

    static func load() throws -> ReferenceFixture {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/metrics-reference", withExtension: "json"),
                                "Fixtures/metrics-reference.json is missing from the test bundle")
        return try JSONDecoder().decode(ReferenceFixture.self, from: Data(contentsOf: url))
    }
}
