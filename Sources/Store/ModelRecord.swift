import Foundation

/// A trained model as the database records it: where it is, what it outputs, and the SHA-256
/// of its weights, which identifies it (`ThoraxDatabase.registerModel`).
public struct ModelRecord: Equatable, Sendable {
    /// The name to register it under (unique in the database; see `registerModel`).
    public var name: String
    /// The model directory (stored as the row's `checkpoint`).
    public var path: String
    /// Backbone name, as `model.json` says (`resnet50`, `efficientnet-lite0`, …).
    public var architecture: String
    /// Output class names, in output order.
    public var classes: [String]
    /// Per-class decision thresholds on the probabilities, in `classes` order.
    public var thresholds: [Float]
    /// SHA-256 of `model.safetensors`, 64 lowercase hex digits.
    public var contentHash: String
    /// `model.json` as it was read, byte for byte.
    public var card: String
    /// When the model was made (the card's `created`, ISO 8601).
    public var created: String

    public init(name: String, path: String, architecture: String, classes: [String], thresholds: [Float],
                contentHash: String, card: String, created: String) {
        self.name = name
        self.path = path
        self.architecture = architecture
        self.classes = classes
        self.thresholds = thresholds
        self.contentHash = contentHash
        self.card = card
        self.created = created
    }

    /// The file names of a model directory (as Pipeline's `ModelCard` and `ChestModel` write them).
    public static let cardFileName = "model.json"
    public static let weightsFileName = "model.safetensors"

    /// The fields of `model.json` the database keeps apart. Pipeline's `ModelCard` is the full
    /// layout (and validates it when the model is loaded); Store cannot import Pipeline, so it
    /// decodes only these.
    private struct CardFields: Decodable {
        var architecture: String
        var classes: [String]
        var thresholds: [Float]
        var created: String
    }

    /// Reads the model directory `directory`: its card's architecture, classes, thresholds and
    /// creation time, the card's text, and the SHA-256 of its weights (reads the weights file
    /// whole: about 0.1 s per 100 MB). `name` defaults to the directory's name.
    ///
    /// - Throws: `StoreError.cannotRead` naming `model.json` when it is missing, is not JSON
    ///   with those fields, or has a threshold count that differs from the class count;
    ///   naming `model.safetensors` when it cannot be read.
    public static func read(directory: URL, name: String? = nil) throws -> ModelRecord {
        let cardURL = directory.appendingPathComponent(cardFileName)
        guard let data = FileManager.default.contents(atPath: cardURL.path) else {
            throw StoreError.cannotRead(file: cardURL.path, reason: "missing or unreadable")
        }
        let fields: CardFields
        do {
            fields = try JSONDecoder().decode(CardFields.self, from: data)
        } catch {
            throw StoreError.cannotRead(file: cardURL.path, reason: "not a model card: \(error)")
        }
        guard fields.thresholds.count == fields.classes.count else {
            throw StoreError.cannotRead(file: cardURL.path, reason: "\(fields.thresholds.count) thresholds for \(fields.classes.count) classes")
        }
        let weights = try Store.contentHash(of: directory.appendingPathComponent(weightsFileName).path)
        let standardized = directory.standardizedFileURL
        return ModelRecord(name: name ?? standardized.lastPathComponent, path: standardized.path,
                           architecture: fields.architecture, classes: fields.classes,
                           thresholds: fields.thresholds, contentHash: weights,
                           card: String(decoding: data, as: UTF8.self), created: fields.created)
    }
}
