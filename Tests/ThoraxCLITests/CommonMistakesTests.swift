import Foundation
import GRDB
import Store
import TestSupport
import XCTest

/// Every subcommand run with the mistakes a user makes every day — a missing or mistyped
/// database, a missing file, an empty folder, a folder of the wrong files, an unknown split,
/// part, model, class, label source or architecture, a folder where a file is expected, an
/// output in a folder that does not exist, an output that already exists — each checked for
/// its exit status, for standard error naming the problem, and for having created or changed
/// nothing (every path under the scratch folder, with its size and modification time, is the
/// same before and after).
///
/// All cases run the built `thorax` in one scratch folder (`CommonMistakesTests.folder`) that
/// holds no `thorax.sqlite` of its own: `data/` holds a database of the bundled NIH samples
/// and their images, beside files of the wrong kinds. None trains or predicts: every mistake is
/// caught before a model loads.
final class CommonMistakesTests: XCTestCase {
    /// What standard error must be.
    enum Expected {
        /// Exactly this text.
        case exact(String)
        /// One line, "Error: " and this text (a thrown error, as ArgumentParser prints it).
        case error(String)
        /// Text containing this.
        case contains(String)
    }

    /// One mistake: the command line (run in the scratch folder) and the answer it must get.
    struct Mistake {
        var arguments: [String]
        var status: Int32 = 1
        var error: Expected
        /// Standard output, or nil when not checked.
        var output: String? = ""

        init(_ arguments: [String], status: Int32 = 1, _ error: Expected, output: String? = "") {
            self.arguments = arguments
            self.status = status
            self.error = error
            self.output = output
        }
    }

    /// The scratch folder all cases run in; built once for the class.
    // nonisolated(unsafe): written once by the class setUp before its tests run, all on XCTest's thread.
    nonisolated(unsafe) static var folder: URL?
    // nonisolated(unsafe): written once by the class setUp before its tests run, all on XCTest's thread.
    nonisolated(unsafe) static var fixtureError: Error?

    override class func setUp() {
        super.setUp()
        do {
            folder = try makeScratchFolder()
        } catch {
            fixtureError = error
        }
    }

    override class func tearDown() {
        if let folder { try? FileManager.default.removeItem(at: folder) }
        super.tearDown()
    }

    /// The scratch folder:
    /// - data/thorax.sqlite, data/images/: the bundled NIH samples imported (11 images, official split, boxes);
    /// - reports.sqlite: the 50 bundled OpenI reports only (no images, no boxes);
    /// - other.sqlite: another program's SQLite database; newer.sqlite: a database of a newer
    ///   thorax; zero.sqlite: an empty file; notes.txt: a text file;
    /// - empty/: an empty folder; formats/: files of formats no command reads;
    /// - run/: a training run's output; gold.csv, pred.csv, vocabulary.txt: label files.
    static func makeScratchFolder() throws -> URL {
        let root = try SharedData.temporaryDirectory("common-mistakes")
        let data = root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let (database, _) = try BenchmarkCommandFixture.makeDatabase(in: data)
        func write(_ name: String, _ text: String) throws {
            let url = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        try write("notes.txt", "Heart size is normal.\n")
        try write("zero.sqlite", "")
        try write("formats/report.pdf", "%PDF-1.4\n")
        try write("formats/scan.dcm.gz", "not read\n")
        try write("run/metrics.json", "{}\n")
        try write("run/checkpoint/state.json", "{}\n")
        let header = "Atelectasis,Cardiomegaly,Effusion,Infiltration,Mass,Nodule,Pneumonia,Pneumothorax,Consolidation,Edema,Emphysema,Fibrosis,Pleural_Thickening,Hernia"
        try write("gold.csv", "filename,\(header),normal\nCXR1," + Array(repeating: "0", count: 14).joined(separator: ",") + ",1\n")
        try write("pred.csv", "id,\(header),No Finding\nCXR999" + String(repeating: ",", count: 15) + "1\n")
        try write("gold-short.csv", "filename,Atelectasis\nCXR1,1\n")
        try write("vocabulary.txt", "[Effusion]\neffusion\n[Efusion]\nfluid\n")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("empty"), withIntermediateDirectories: false)
        do {
            let queue = try DatabaseQueue(path: root.appendingPathComponent("other.sqlite").path)
            try queue.write { db in try db.execute(sql: "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('x')") }
        }
        try FileManager.default.copyItem(atPath: database, toPath: root.appendingPathComponent("newer.sqlite").path)
        do {
            let queue = try DatabaseQueue(path: root.appendingPathComponent("newer.sqlite").path)
            try queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9: a future table')") }
        }
        let reports = try runThorax(["db", "import-reports", "--database", "reports.sqlite",
                                     BenchmarkCommandFixture.samples.appendingPathComponent("openi/reports").path], in: root)
        guard reports.status == 0 else { throw FixtureError("import-reports of the samples failed: \(reports.standardError)") }
        return root
    }

    /// Every path under `folder` (relative), with its kind, size and modification time.
    static func snapshot(_ folder: URL) throws -> [String: String] {
        var entries: [String: String] = [:]
        guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else { throw FixtureError("cannot list \(folder.path)") }
        for case let relative as String in enumerator {
            let attributes = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(relative).path)
            let date = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            entries[relative] = "\(attributes[.type] ?? "?") \(attributes[.size] ?? 0) bytes, modified \(date)"
        }
        return entries
    }

    // MARK: - The messages that several commands give

    static let creators = "(`thorax db import-nih`, `thorax db import-dicom` or `thorax db import-reports` creates one)"
    static func noDatabase(_ path: String) -> Expected { .error("\(path): no such database file \(creators)") }
    static let notSQLite = Expected.error("notes.txt: not a Thorax database (not an SQLite file)")
    static let foreign = Expected.error("other.sqlite: not a Thorax database (an SQLite database without Thorax's tables)")
    static let directory = Expected.error("data: not a Thorax database (a directory, not a database file)")
    static let newer = Expected.error("newer.sqlite: a database of a newer thorax (its schema has 1 change this thorax does not know, first 'v9: a future table'); it is left as it is: open it with that thorax")
    static func noSplit(_ split: String) -> Expected {
        .error("data/thorax.sqlite has no split '\(split)': `thorax db import-nih` writes 'official' (parts train_val, test), `thorax db split --name \(split)` makes a patient-level split")
    }
    static func noPart(_ option: String, _ part: String) -> Expected {
        .error("\(option): split 'official' of data/thorax.sqlite has no part '\(part)' (it has test, train_val)")
    }
    static let noModel = Expected.error("nosuch: not a model directory (no model.json in it)")
    static let architectures = "resnet18, resnet34, resnet50, resnet101, densenet121, efficientnet-lite0"
    static let image = "data/images/00000001_000.png"

    /// The table: by command, each common mistake.
    static let mistakes: [Mistake] = [
        // forward
        Mistake(["forward", "--arch", "vgg16", "--weights", "notes.txt", "--input", "notes.txt", "--output", "y.safetensors"],
                .error("unknown architecture 'vgg16'; choose one of: \(architectures)")),
        Mistake(["forward", "--arch", "resnet18", "--weights", "nosuch.safetensors", "--input", "notes.txt", "--output", "y.safetensors"],
                .error("nosuch.safetensors: no such file (--weights)")),
        Mistake(["forward", "--arch", "resnet18", "--weights", "empty", "--input", "notes.txt", "--output", "y.safetensors"],
                .error("empty: a folder, not a file (--weights)")),
        Mistake(["forward", "--arch", "resnet18", "--weights", "notes.txt", "--input", "nosuch.safetensors", "--output", "y.safetensors"],
                .error("nosuch.safetensors: no such file (--input)")),
        Mistake(["forward", "--arch", "resnet18", "--weights", "notes.txt", "--input", "notes.txt", "--output", "nodir/y.safetensors"],
                .error("nodir/y.safetensors: no folder nodir to write it in (--output); create it first")),
        Mistake(["forward", "--arch", "resnet18", "--weights", "notes.txt", "--input", "notes.txt", "--output", "empty"],
                .error("empty: a folder; --output names the file to write")),
        Mistake(["forward", "--arch", "resnet18", "--weights", "notes.txt", "--input", "notes.txt", "--output", "y.safetensors"],
                .contains("notes.txt: ")),

        // bench, bench-kernels
        Mistake(["bench", "--arch", "vgg16"], .error("unknown architecture 'vgg16'; choose one of: \(architectures)")),
        Mistake(["bench", "--head", "--pooling", "median"], status: 64,
                .contains("Error: The value 'median' is invalid for '--pooling <pooling>'. Please provide one of 'avg', 'max' or 'lse'.\n")),
        Mistake(["bench-kernels", "--parameters", "0"], status: 64, .contains("Error: --parameters must be at least 1, got 0\n")),

        // image info, decode, bench
        Mistake(["image", "info", "nosuch.png"], .error("nosuch.png: no such file")),
        Mistake(["image", "info", "empty"], .error("empty: a folder, not a file")),
        Mistake(["image", "info", "notes.txt"], .error("notes.txt: not a PNG, JPEG or DICOM Part 10 file")),
        Mistake(["image", "decode", "nosuch.png", "--output-directory", "out"], .exact("error: nosuch.png: no such file\n"),
                output: "decoded 0 of 1 files; nothing written\n"),
        Mistake(["image", "decode", "notes.txt", "empty", "--output-directory", "out"],
                .exact("error: notes.txt: not a PNG, JPEG or DICOM Part 10 file (unrecognised first bytes)\nerror: empty: a folder, not a file\n"),
                output: "decoded 0 of 2 files; nothing written\n"),
        Mistake(["image", "decode", image, "--output-directory", "notes.txt"], .error("notes.txt: a file, not a folder (--output-directory)")),
        Mistake(["image", "decode", image, "--output-directory", "notes.txt/out"],
                .error("notes.txt/out: notes.txt is a file, not a folder (--output-directory)")),
        Mistake(["image", "bench", "--images", "nosuch"], .error("nosuch: no such folder (--images)")),
        Mistake(["image", "bench", "--images", "notes.txt"], .error("notes.txt: a file, not a folder (--images)")),
        Mistake(["image", "bench", "--images", "empty"], .error("empty: no .png, .jpg, .jpeg or .dcm files in this folder (--images)")),
        Mistake(["image", "bench", "--images", "formats"], .error("formats: no .png, .jpg, .jpeg or .dcm files in this folder (--images)")),

        // label (run)
        Mistake(["label", "nosuch.txt"], .exact("error: nosuch.txt: no such file or directory\nlabelled 0 reports; 1 input failed\n")),
        Mistake(["label", "empty"], .exact("error: empty: no report files (.xml, .csv, .txt or .hl7) in this folder; it is empty\nlabelled 0 reports; 1 input failed\n")),
        Mistake(["label", "formats", "--output", "labels.csv"],
                .exact("error: formats: no report files (.xml, .csv, .txt or .hl7) in this folder; it holds 2 other files (first: report.pdf)\nlabelled 0 reports; 1 input failed; labels.csv not written\n")),
        Mistake(["label", "notes.txt", "--output", "nodir/labels.csv"], .error("nodir/labels.csv: no folder nodir to write it in (--output); create it first")),
        Mistake(["label", "notes.txt", "--output", "empty"], .error("empty: a folder; --output names the file to write")),
        Mistake(["label", "notes.txt", "--vocabulary", "nosuch.txt"], .error("nosuch.txt: no such file (--vocabulary)")),
        Mistake(["label", "notes.txt", "--rules", "empty"], .error("empty: a folder, not a file (--rules)")),
        Mistake(["label", "notes.txt", "--vocabulary", "vocabulary.txt", "--output", "labels.csv"], .contains("vocabulary.txt:3: unknown section '[Efusion]'")),

        // label eval
        Mistake(["label", "eval", "--gold", "nosuch.csv", "--pred", "pred.csv"], .error("nosuch.csv: no such file (--gold)")),
        Mistake(["label", "eval", "--gold", "gold.csv", "--pred", "empty"], .error("empty: a folder, not a file (--pred)")),
        Mistake(["label", "eval", "--gold", "gold-short.csv", "--pred", "pred.csv"], .exact("error: gold-short.csv:1: no column for Cardiomegaly\n")),
        Mistake(["label", "eval", "--gold", "gold.csv", "--pred", "pred.csv"],
                .exact("error: pred.csv: no prediction for any of the 1 gold reports of gold.csv (rows are matched by id; 1 ids are not in the gold file)\n")),

        // db import-nih
        Mistake(importNIH(dataEntry: "nosuch.csv"), .error("nosuch.csv: no such file (--data-entry)")),
        Mistake(importNIH(dataEntry: "empty"), .error("empty: a folder, not a file (--data-entry)")),
        Mistake(importNIH(dataEntry: "notes.txt"), .contains("notes.txt:1: ")),
        Mistake(importNIH(extra: ["--images", "nosuch"]), .error("nosuch: no such folder (--images)")),
        Mistake(importNIH(extra: ["--images", "formats"]),
                .error("formats: none of the 11 images of the Data_Entry file is in this folder (looked for PNG files named by their Image Index, e.g. 00000001_000.png; it holds 2 other files) (--images)")),
        Mistake(importNIH(extra: ["--images", "empty"]),
                .error("empty: none of the 11 images of the Data_Entry file is in this folder (looked for PNG files named by their Image Index, e.g. 00000001_000.png; the folder is empty) (--images)")),
        Mistake(importNIH(extra: ["--database", "notes.txt"]), notSQLite),
        Mistake(importNIH(extra: ["--database", "other.sqlite"]), foreign),
        Mistake(importNIH(extra: ["--database", "newer.sqlite"]), newer),
        Mistake(importNIH(extra: ["--database", "nodir/thorax.sqlite"]), .error("nodir/thorax.sqlite: cannot create the database: no folder nodir")),

        // db import-dicom
        Mistake(["db", "import-dicom", "nosuch.dcm"], .error("nosuch.dcm: no such file or directory")),
        Mistake(["db", "import-dicom", "empty"],
                .exact("error: empty: no DICOM files in this folder (looked for the DICOM Part 10 signature, 'DICM' at byte 128); it is empty\nimported nothing: no readable DICOM file among the inputs\n")),
        Mistake(["db", "import-dicom", "data/images"],
                .exact("error: data/images: no DICOM files in this folder (looked for the DICOM Part 10 signature, 'DICM' at byte 128); it holds 11 other files\nimported nothing: no readable DICOM file among the inputs\n")),
        Mistake(["db", "import-dicom", "notes.txt"], .contains("imported nothing: no readable DICOM file among the inputs\n")),
        Mistake(["db", "import-dicom", "--database", "other.sqlite", "formats"], foreign),

        // db import-reports
        Mistake(["db", "import-reports", "nosuch.txt"], .exact("error: nosuch.txt: no such file or directory\nimported nothing: no input gave a report\n")),
        Mistake(["db", "import-reports", "empty"],
                .exact("error: empty: no report files (.xml, .csv, .txt or .hl7) in this folder; it is empty\nimported nothing: no input gave a report\n")),
        Mistake(["db", "import-reports", "formats"],
                .exact("error: formats: no report files (.xml, .csv, .txt or .hl7) in this folder; it holds 2 other files (first: report.pdf)\nimported nothing: no input gave a report\n")),
        Mistake(["db", "import-reports", "--database", "newer.sqlite", "notes.txt"], newer),
        Mistake(["db", "import-reports", "--database", "zero.sqlite", "--vocabulary", "nosuch.txt", "notes.txt"],
                .error("nosuch.txt: no such file (--vocabulary)")),

        // db split
        Mistake(["db", "split", "--name", "mine"], noDatabase("thorax.sqlite")),
        Mistake(["db", "split", "--database", "data/thorx.sqlite", "--name", "mine"], noDatabase("data/thorx.sqlite")),
        Mistake(["db", "split", "--database", "other.sqlite", "--name", "mine"], foreign),
        Mistake(["db", "split", "--database", "newer.sqlite", "--name", "mine"], newer),
        Mistake(["db", "split", "--database", "data/thorax.sqlite", "--name", "mine", "--within", "offical:train_val"], noSplit("offical")),
        Mistake(["db", "split", "--database", "data/thorax.sqlite", "--name", "mine", "--within", "official:train"], noPart("--within", "train")),
        Mistake(["db", "split", "--database", "data/thorax.sqlite", "--name", "official"], .error("a split named 'official' exists already (use --replace)")),
        Mistake(["db", "split", "--database", "reports.sqlite", "--name", "mine"],
                .error("reports.sqlite holds no images to split (`thorax db import-nih` or `thorax db import-dicom` adds them)")),

        // db stats
        Mistake(["db", "stats"], noDatabase("thorax.sqlite")),
        Mistake(["db", "stats", "--database", "data/thorx.sqlite"], noDatabase("data/thorx.sqlite")),
        Mistake(["db", "stats", "--database", "data"], directory),
        Mistake(["db", "stats", "--database", "notes.txt"], notSQLite),
        Mistake(["db", "stats", "--database", "other.sqlite"], foreign),
        Mistake(["db", "stats", "--database", "newer.sqlite"], newer),
        Mistake(["db", "stats", "--database", "zero.sqlite"], .error("zero.sqlite: not a Thorax database (an empty file)")),

        // db export
        Mistake(["db", "export", "--output", "out.csv"], noDatabase("thorax.sqlite")),
        Mistake(["db", "export", "--database", "newer.sqlite", "--output", "out.csv"], newer),
        Mistake(["db", "export", "--database", "data/thorax.sqlite", "--split", "offical", "--output", "out.csv"], noSplit("offical")),
        Mistake(["db", "export", "--database", "data/thorax.sqlite", "--split", "official", "--part", "val", "--output", "out.csv"], noPart("--part", "val")),
        Mistake(["db", "export", "--database", "data/thorax.sqlite", "--source", "model:7", "--output", "out.csv"],
                .error("data/thorax.sqlite has no model with id 7 (`thorax db stats` lists the models)")),
        Mistake(["db", "export", "--database", "data/thorax.sqlite", "--predictions", "7", "--output", "out.csv"],
                .error("data/thorax.sqlite has no model with id 7 (`thorax db stats` lists the models)")),
        Mistake(["db", "export", "--database", "reports.sqlite", "--output", "out.csv"], .error("reports.sqlite holds no images to export")),
        Mistake(["db", "export", "--database", "data/thorax.sqlite", "--output", "nodir/out.csv"],
                .error("nodir/out.csv: no folder nodir to write it in (--output); create it first")),
        Mistake(["db", "export", "--database", "data/thorax.sqlite", "--output", "empty"], .error("empty: a folder; --output names the file to write")),
        Mistake(["db", "export", "--database", "data/thorax.sqlite", "--source", "nhi", "--output", "out.csv"], status: 64,
                .contains("Error: --source must be nih, human, labeller or model:ID (a model id from `thorax db stats`)\n")),

        // db bench-loader
        Mistake(["db", "bench-loader"], noDatabase("thorax.sqlite")),
        Mistake(["db", "bench-loader", "--database", "other.sqlite"], foreign),
        Mistake(["db", "bench-loader", "--database", "data/thorax.sqlite", "--split", "offical"], noSplit("offical")),
        Mistake(["db", "bench-loader", "--database", "data/thorax.sqlite", "--part", "train"], noPart("--part", "train")),
        Mistake(["db", "bench-loader", "--database", "data/thorax.sqlite", "--images", "nosuch"], .error("nosuch: no such folder (--images)")),
        Mistake(["db", "bench-loader", "--database", "data/thorax.sqlite", "--images", "empty"],
                .error("empty: no image of official:train_val has a file in this folder")),

        // predict
        Mistake(["predict", "nosuch.png"], .exact("error: nosuch.png: no such file\npredicted nothing: no input is a file\n")),
        Mistake(["predict", "empty"], .exact("error: empty: a folder, not an image file\npredicted nothing: no input is a file\n")),
        Mistake(["predict", "--model", "nosuch", image], noModel),
        Mistake(["predict", "--database", "thorax.sqlite", image], noDatabase("thorax.sqlite")),
        Mistake(["predict", "--database", "other.sqlite", image], foreign),
        Mistake(["predict", "--heatmaps", "notes.txt", image], .error("notes.txt: a file, not a folder (--heatmaps)")),

        // eval
        Mistake(["eval", "--split", "official:test"], noDatabase("thorax.sqlite")),
        Mistake(["eval", "--database", "data/thorx.sqlite", "--split", "official:test"], noDatabase("data/thorx.sqlite")),
        Mistake(["eval", "--database", "newer.sqlite", "--split", "official:test"], newer),
        Mistake(["eval", "--database", "data/thorax.sqlite", "--split", "official"], status: 64,
                .contains("Error: --split must be NAME:PART, e.g. official:test; got 'official'\n")),
        Mistake(["eval", "--database", "data/thorax.sqlite", "--split", "offical:test"], noSplit("offical")),
        Mistake(["eval", "--database", "data/thorax.sqlite", "--split", "official:validation"], noPart("--split", "validation")),
        Mistake(["eval", "--model", "nosuch", "--database", "data/thorax.sqlite", "--split", "official:test"], noModel),
        Mistake(["eval", "--database", "data/thorax.sqlite", "--split", "official:test", "--labels", "nhi"],
                .error("unknown label source 'nhi': nih, labeller, human or model:ID (thorax db stats lists the models)")),
        Mistake(["eval", "--database", "data/thorax.sqlite", "--split", "official:test", "--labels", "human"],
                .error("data/thorax.sqlite: no image of official:test has labels from 'human' (`thorax db stats` counts the labels of each source)")),
        Mistake(["eval", "--database", "data/thorax.sqlite", "--split", "official:test", "--roc", "nodir/roc.svg"],
                .error("nodir/roc.svg: no folder nodir to write it in (--roc); create it first")),

        // localize
        Mistake(["localize"], noDatabase("thorax.sqlite")),
        Mistake(["localize", "--database", "data"], directory),
        Mistake(["localize", "--database", "reports.sqlite"],
                .error("reports.sqlite holds no hand-drawn boxes to score against (`thorax db import-nih --bbox` imports them)")),
        Mistake(["localize", "--model", "nosuch", "--database", "data/thorax.sqlite"], noModel),
        Mistake(["localize", "--database", "data/thorax.sqlite", "--output", "notes.txt"], .error("notes.txt: a file, not a folder (--output)")),

        // demo
        Mistake(["demo", "--samples", "nosuch"], .error("nosuch: no such folder (--samples)")),
        Mistake(["demo", "--samples", "empty"], .error("empty: not a samples folder (no nih/Data_Entry_2017_v2020.csv in it); give --samples")),
        Mistake(["demo", "--samples", BenchmarkCommandFixture.samples.path, "--output", "notes.txt"], .error("notes.txt: a file, not a folder (--output)")),
        Mistake(["demo", "--samples", BenchmarkCommandFixture.samples.path, "--output", "data"],
                .error("data/thorax.sqlite: a database thorax demo did not write (no report.html beside it); give another --output")),
        Mistake(["demo", "--samples", BenchmarkCommandFixture.samples.path, "--model", "nosuch", "--output", "demo"], noModel),

        // train
        Mistake(["train", "--output", "runs/x"], noDatabase("thorax.sqlite")),
        Mistake(["train", "--output", "x"], noDatabase("thorax.sqlite")),
        Mistake(["train", "--database", "data/thorx.sqlite", "--output", "runs/x"], noDatabase("data/thorx.sqlite")),
        Mistake(["train", "--database", "other.sqlite", "--output", "runs/x"], foreign),
        Mistake(["train", "--database", "newer.sqlite", "--output", "runs/x"], newer),
        Mistake(["train", "--database", "data/thorax.sqlite", "--split", "offical", "--output", "runs/x"], noSplit("offical")),
        Mistake(["train", "--database", "data/thorax.sqlite", "--train-part", "train", "--output", "runs/x"], noPart("--train-part", "train")),
        Mistake(["train", "--database", "data/thorax.sqlite", "--arch", "resnet5", "--output", "runs/x"], status: 64,
                .contains("Error: The value 'resnet5' is invalid for '--arch <arch>'. Please provide one of the following:\n"
                    + architectures.split(separator: ",").map { "  - \($0.trimmingCharacters(in: .whitespaces))\n" }.joined())),
        Mistake(["train", "--database", "data/thorax.sqlite", "--labels", "nhi", "--output", "runs/x"],
                .error("unknown label source 'nhi': nih, labeller, human or model:ID (thorax db stats lists the models)")),
        Mistake(["train", "--database", "data/thorax.sqlite", "--labels", "human", "--output", "runs/x"],
                .error("data/thorax.sqlite: no image of official:train_val has labels from 'human' (`thorax db stats` counts the labels of each source)")),
        Mistake(["train", "--database", "data/thorax.sqlite", "--initial-weights", "nosuch.safetensors", "--output", "runs/x"],
                .error("nosuch.safetensors: no such file (--initial-weights)")),
        Mistake(["train", "--database", "data/thorax.sqlite", "--output", "run"],
                .error("run holds a run already (checkpoint in it): continue it with --resume, or give another --output")),
        Mistake(["train", "--database", "data/thorax.sqlite", "--output", "notes.txt"], .error("notes.txt: a file, not a folder (--output)")),
        Mistake(["train", "--output", "empty", "--resume"], .contains("cannot resume: ")),
    ]

    /// The arguments of a `db import-nih` of the bundled samples, with `dataEntry` in place of
    /// their Data_Entry file and `extra` appended (a later option replaces an earlier one).
    static func importNIH(dataEntry: String? = nil, extra: [String] = []) -> [String] {
        let nih = BenchmarkCommandFixture.samples.appendingPathComponent("nih")
        return ["db", "import-nih", "--data-entry", dataEntry ?? nih.appendingPathComponent("Data_Entry_2017_v2020.csv").path,
                "--bbox", nih.appendingPathComponent("BBox_List_2017.csv").path,
                "--train-val-list", nih.appendingPathComponent("train_val_list.txt").path,
                "--test-list", nih.appendingPathComponent("test_list.txt").path] + extra
    }

    /// The subcommand a command line runs: "db stats", "image info", "label eval", "label" (run), "train".
    static func subcommand(_ arguments: [String]) -> String {
        guard let first = arguments.first else { return "" }
        let second = arguments.dropFirst().first ?? ""
        if first == "db" || first == "image" || (first == "label" && second == "eval") { return first + " " + second }
        return first
    }

    /// Every subcommand is in the table at least once.
    func testEverySubcommandIsCovered() {
        let subcommands = ["forward", "bench", "bench-kernels", "image info", "image decode", "image bench", "label", "label eval",
                           "db import-nih", "db import-dicom", "db import-reports", "db split", "db stats", "db export",
                           "db bench-loader", "predict", "eval", "localize", "demo", "train"]
        XCTAssertEqual(Set(Self.mistakes.map { Self.subcommand($0.arguments) }), Set(subcommands))
    }

    func testEveryMistakeIsNamedAndChangesNothing() throws {
        if let error = Self.fixtureError { throw error }
        let folder = try XCTUnwrap(Self.folder)
        for mistake in Self.mistakes {
            let line = "thorax " + mistake.arguments.joined(separator: " ")
            let before = try Self.snapshot(folder)
            let result = try runThorax(mistake.arguments, in: folder)
            XCTAssertEqual(result.status, mistake.status, "\(line): exit status; stderr: \(result.standardError)")
            switch mistake.error {
            case .exact(let text): XCTAssertEqual(result.standardError, text, line)
            case .error(let text): XCTAssertEqual(result.standardError, "Error: \(text)\n", line)
            case .contains(let text): XCTAssertTrue(result.standardError.contains(text), "\(line): stderr \(result.standardError) lacks \(text)")
            }
            if let output = mistake.output { XCTAssertEqual(result.standardOutput, output, "\(line): stdout") }
            let after = try Self.snapshot(folder)
            let created = after.keys.filter { before[$0] == nil }.sorted()
            let changed = after.keys.filter { before[$0] != nil && before[$0] != after[$0] }.sorted()
            let removed = before.keys.filter { after[$0] == nil }.sorted()
            XCTAssertTrue(created.isEmpty && changed.isEmpty && removed.isEmpty,
                          "\(line): created \(created), changed \(changed), removed \(removed)")
            // Later cases start from the same folder (deepest paths first).
            for path in created.reversed() { try? FileManager.default.removeItem(at: folder.appendingPathComponent(path)) }
        }
    }
}
