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
        --split, every image is written.

        Example:
          thorax db export --split official --part test --output test.csv
        """
    )

    @OptionGroup var options: DatabaseOptions

    @Option(name: .long, help: "Only images of this split.")
    var split: String?

    @Option(name: .long, help: "Only this part of the split.")
    var part: String?

    @Option(name: .long, help: "Label source: nih, human, labeller or model.")
    var source: String = "nih"

    @Option(name: .shortAndLong, help: "The CSV file to write.")
    var output: String

    func validate() throws {
        if part != nil && split == nil { throw ValidationError("--part needs --split") }
        guard ["nih", "human", "labeller", "model"].contains(source) else {
            throw ValidationError("--source must be nih, human, labeller or model")
        }
    }

    func run() throws {
        let count = try options.open().exportDataEntry(
            split: split, part: part, source: source, to: URL(fileURLWithPath: output))
        print("wrote \(count) images to \(output)")
    }
}
