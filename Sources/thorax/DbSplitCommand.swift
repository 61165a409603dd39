import ArgumentParser
import Foundation
import Store

/// `thorax db split`: a random patient-level split.
struct DbSplitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Make a random patient-level split: no patient falls in two parts.",
        discussion: """
        Patients are shuffled from the seed and dealt out whole, so parts approach the ratios in
        images. The stored split is checked for patients in two parts before it is kept.

        Example:
          thorax db split --ratios 70,10,20 --seed 1 --name random
          thorax db split --ratios 80,20 --seed 1 --name tuning --parts train,validation --within official:train_val
        """
    )

    @OptionGroup var options: DatabaseOptions

    @Option(name: .long, help: "The new split's name.")
    var name: String

    @Option(name: .long, help: "Relative part sizes in images, comma-separated.")
    var ratios: String = "70,10,20"

    @Option(name: .long, help: "Part names, comma-separated (default train,validation,test or train,test).")
    var parts: String?

    @Option(name: .long, help: "The shuffle's seed.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Split only the images of SPLIT:PART (e.g. official:train_val).")
    var within: String?

    @Flag(name: .long, help: "Replace a split of the same name.")
    var replace = false

    func run() throws {
        let ratioValues = try ratios.split(separator: ",").map { text -> Double in
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value > 0 else {
                throw ValidationError("--ratios: \"\(text)\" is not a positive number")
            }
            return value
        }
        let names: [String]
        if let parts {
            names = parts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        } else if let defaults = SplitRequest.defaultPartNames(count: ratioValues.count) {
            names = defaults
        } else {
            throw ValidationError("--parts is needed for \(ratioValues.count) ratios")
        }
        guard names.count == ratioValues.count else {
            throw ValidationError("--parts names \(names.count) parts but --ratios gives \(ratioValues.count)")
        }
        var scope: (split: String, part: String)?
        if let within {
            let pieces = within.split(separator: ":", maxSplits: 1).map(String.init)
            guard pieces.count == 2 else { throw ValidationError("--within must be SPLIT:PART") }
            scope = (pieces[0], pieces[1])
        }
        let database = try options.open(.update)
        if let scope { try requireSplit(scope.split, parts: [("--within", scope.part)], in: database, path: options.database) }
        let counts = try database.makePatientSplit(SplitRequest(
            name: name, parts: Array(zip(names, ratioValues)).map { (name: $0.0, ratio: $0.1) },
            seed: seed, within: scope, replace: replace))
        let images = counts.reduce(0) { $0 + $1.images }
        print("split '\(name)': " + counts.map {
            "\($0.part) \($0.images) images (\(String(format: "%.1f", 100 * Double($0.images) / Double(max(images, 1))))%), \($0.patients) patients"
        }.joined(separator: "; "))
        print("no patient is in two parts")
    }
}
