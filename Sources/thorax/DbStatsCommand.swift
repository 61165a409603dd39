import ArgumentParser
import Foundation
import Store

/// `thorax db stats`: counts of everything in the database.
struct DbStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Count images, patients, reports, boxes, positive labels and split parts.",
        discussion: """
        Example:
          thorax db stats --json
        """
    )

    @OptionGroup var options: DatabaseOptions

    @Flag(name: .long, help: "Print JSON (keys sorted).")
    var json = false

    func run() throws {
        let database = try options.open(.read)
        let statistics = try database.statistics()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(statistics), as: UTF8.self))
            return
        }
        print("images: \(statistics.images) (\(statistics.imagesOnDisk) on disk)")
        print("patients: \(statistics.patients)")
        print("studies: \(statistics.studies)")
        print("reports: \(statistics.reports)")
        print("boxes: \(statistics.boxes)")
        print("models: \(statistics.models), predictions: \(statistics.predictions)")
        for model in try database.models() {
            print("  \(model.id) \(model.name) (\(model.architecture ?? "unknown architecture")): "
                + "\(model.images) image\(model.images == 1 ? "" : "s") predicted")
        }
        print("positive labels:")
        for finding in Findings.labelClasses {
            let bySource = statistics.labelsBySource.keys.sorted()
                .compactMap { source in statistics.labelsBySource[source]?[finding].map { "\(source) \($0)" } }
            print("  \(finding): \(statistics.labels[finding] ?? 0)"
                + (bySource.isEmpty ? "" : " (" + bySource.joined(separator: ", ") + ")"))
        }
        print("splits:")
        for name in statistics.splits.keys.sorted() {
            let parts = statistics.splits[name]!.sorted { $0.key < $1.key }
            print("  \(name): " + parts.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
    }
}
