import ArgumentParser
import Foundation
import Store

/// `thorax db export`: a split's labels in the NIH Data_Entry format.
struct DbExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write labels in the NIH Data_Entry CSV format.",
        discussion: """
        Rows are ordered by image name; classes are joined by '|' in Thorax order. Without
        --split, every image is written. The file is written atomically: an existing one is
        replaced; its folder must exist. With no row to write, nothing is written (exit status 1). --source model:ID writes the labels a model's stored
        predictions gave (ids: `thorax db stats`); --predictions ID writes that model's
        probabilities instead, one column per class of the model.

        Example:
          thorax db export --split official --part test --output test.csv
          thorax db export --source model:1 --output model-labels.csv
          thorax db export --predictions 1 --split official --part test --output probabilities.csv
        """
    )

    @OptionGroup var options: DatabaseOptions

    @Option(name: .long, help: "Only images of this split.")
    var split: String?

    @Option(name: .long, help: "Only this part of the split.")
    var part: String?

    @Option(name: .long, help: "Label source: nih, human, labeller or model:ID.")
    var source: String = "nih"

    @Option(name: .long, help: "Write this model's stored probabilities (CSV: Image Index, then its classes).")
    var predictions: Int64?

    @Option(name: .shortAndLong, help: "The CSV file to write.")
    var output: String

    func validate() throws {
        if part != nil && split == nil { throw ValidationError("--part needs --split") }
        guard ["nih", "human", "labeller"].contains(source) || modelID != nil else {
            throw ValidationError("--source must be nih, human, labeller or model:ID (a model id from `thorax db stats`)")
        }
    }

    /// The model id of `--source model:ID`.
    private var modelID: Int64? {
        source.hasPrefix("model:") ? Int64(source.dropFirst("model:".count)) : nil
    }

    func run() throws {
        try requireOutputFile(output, option: "--output")
        let database = try options.open(.read)
        if let split {
            try requireSplit(split, parts: part.map { [("--part", $0)] } ?? [], in: database, path: options.database)
        }
        let url = URL(fileURLWithPath: output)
        if let predictions {
            let count = try database.exportPredictions(modelID: predictions, split: split, part: part, to: url, allowEmpty: false)
            print("wrote the probabilities of \(count) images to \(output)")
            return
        }
        let count = try database.exportDataEntry(
            split: split, part: part, source: modelID == nil ? source : "model", modelID: modelID, to: url, allowEmpty: false)
        print("wrote \(count) images to \(output)")
    }
}
