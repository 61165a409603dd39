import ArgumentParser
import Foundation
import Store

/// `thorax db import-nih`: the NIH ChestX-ray14 metadata (and which images are on disk).
struct DbImportNIHCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-nih",
        abstract: "Import the NIH ChestX-ray14 labels, boxes and official split.",
        discussion: """
        Reads the files by column position (the Data_Entry header has unquoted commas; the box
        file's "Infiltrate" is Infiltration). The official split is stored as split `official`,
        parts `train_val` and `test`. Re-importing changes nothing; a failed import leaves the
        database as it was (or, for a new one, no file) and names the file and line. --images
        must hold some of the listed images (PNG files named by their Image Index).

        Example:
          thorax db import-nih --data-entry ~/nih/Data_Entry_2017_v2020.csv \\
              --bbox ~/nih/BBox_List_2017.csv \\
              --train-val-list ~/nih/train_val_list.txt \\
              --test-list ~/nih/test_list.txt --images ~/nih/images
        """
    )

    @OptionGroup var options: ImportDatabaseOptions

    @Option(name: .customLong("data-entry"), help: "Data_Entry_2017*.csv: one row per image.")
    var dataEntry: String

    @Option(name: .customLong("bbox"), help: "BBox_List_2017.csv: the hand-drawn boxes.")
    var boxes: String

    @Option(name: .customLong("train-val-list"), help: "train_val_list.txt: the official training part.")
    var trainValidationList: String

    @Option(name: .customLong("test-list"), help: "test_list.txt: the official test part.")
    var testList: String

    @Option(name: .customLong("images"), help: "A directory of the PNG images: records which exist, with their size.")
    var images: String?

    @Flag(name: .long, help: "With --images, also store each file's SHA-256 (reads every file whole).")
    var hash = false

    func validate() throws {
        if hash && images == nil { throw ValidationError("--hash needs --images") }
    }

    func run() throws {
        let start = Date()
        for (option, path) in [("--data-entry", dataEntry), ("--bbox", boxes), ("--train-val-list", trainValidationList),
                               ("--test-list", testList)] {
            try requireInputFile(path, option: option)
        }
        if let images { try requireInputFolder(images, option: "--images") }
        try options.check()
        let release = try NIHRelease.read(
            dataEntry: URL(fileURLWithPath: dataEntry), boxes: URL(fileURLWithPath: boxes),
            trainValidationList: URL(fileURLWithPath: trainValidationList),
            testList: URL(fileURLWithPath: testList))
        let readSeconds = Date().timeIntervalSince(start)
        let readProcessorSeconds = Double(clock()) / Double(CLOCKS_PER_SEC)
        if let images { try Self.requireListedImages(in: images, release: release) }
        let progress = ProgressLine("import-nih", total: release.entries.count, unit: "images")
        let summary = try options.importing { database in
            try database.importNIH(
                release, imagesDirectory: images.map { URL(fileURLWithPath: $0) }, hashFiles: hash,
                progress: { _, done, _ in progress.update(done) })
        }
        progress.finish()
        for problem in summary.fileProblems { printWarning(problem) }
        print("read \(release.entries.count) images, \(release.boxes.count) boxes, "
            + "\(release.trainValidation.count) train_val and \(release.test.count) test names")
        if summary.changedAnything {
            print("added \(summary.patientsAdded) patients, \(summary.studiesAdded) studies, \(summary.imagesAdded) images, "
                + "\(summary.labelsAdded) labels, \(summary.boxesAdded) boxes; "
                + "updated \(summary.imagesUpdated) images, \(summary.filesUpdated) files; "
                + "removed \(summary.labelsRemoved) labels, \(summary.boxesRemoved) boxes"
                + (summary.studiesRemoved == 0 ? "" : ", \(summary.studiesRemoved) studies") + "; "
                + "\(summary.splitChanges) split changes")
        } else {
            print("no changes: the database already holds these files")
        }
        if images != nil {
            print("found \(summary.filesFound) of the images on disk"
                + (summary.fileProblems.isEmpty ? "" : ", \(summary.fileProblems.count) unreadable")
                + (summary.filesUnlisted == 0 ? "" : ", \(summary.filesUnlisted) PNG files not in Data_Entry"))
        }
        // Wall time and processor time: on a shared machine the second says what the first
        // would be on an idle one.
        FileHandle.standardError.write(Data(String(
            format: "read the files in %.2f s (%.2f s of processor time), imported in %.2f s (%.2f s) in all\n",
            readSeconds, readProcessorSeconds, Date().timeIntervalSince(start),
            Double(clock()) / Double(CLOCKS_PER_SEC)).utf8))
    }

    /// Checks that the folder `images` holds at least one of `release`'s images, by name.
    /// - Throws: `InputFileError` naming the folder, what it looked for, and what is there.
    static func requireListedImages(in images: String, release: NIHRelease) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: images)
        } catch {
            throw InputFileError("\(images): cannot list the folder (--images)")
        }
        let listed = Set(release.entries.map(\.name))
        guard !names.contains(where: listed.contains) else { return }
        let example = release.entries.first.map { ", e.g. \($0.name)" } ?? ""
        let others = names.filter { !$0.hasPrefix(".") }
        throw InputFileError("\(images): none of the \(release.entries.count) images of the Data_Entry file is in this folder "
            + "(looked for PNG files named by their Image Index\(example); "
            + (others.isEmpty ? "the folder is empty" : "it holds \(others.count) other file\(others.count == 1 ? "" : "s")") + ") (--images)")
    }
}
