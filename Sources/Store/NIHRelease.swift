import Foundation

/// The NIH ChestX-ray14 metadata files, parsed and checked: `Data_Entry_2017*.csv`,
/// `BBox_List_2017.csv`, `train_val_list.txt` and `test_list.txt`.
///
/// Every problem is reported as `StoreError.badLine` naming the file and line: a wrong field
/// count, an unknown class, a number that does not parse, an image listed twice, a box or list
/// entry for an image that Data_Entry lacks, an image in both split lists.
public struct NIHRelease: Sendable {
    /// One Data_Entry row.
    public struct Entry: Equatable, Sendable {
        /// "Image Index", e.g. `00000001_000.png`.
        public var name: String
        /// The positive classes in Thorax order; empty for "No Finding".
        public var findings: [String]
        public var followUp: Int
        /// "Patient ID" as written (a decimal number).
        public var patient: String
        public var age: Int
        /// "M" or "F".
        public var sex: String
        /// "PA" or "AP".
        public var view: String
        public var originalWidth: Int
        public var originalHeight: Int
        public var pixelSpacingX: Double
        public var pixelSpacingY: Double
    }

    /// One hand-drawn box of BBox_List_2017.csv, in 1024 x 1024 pixel coordinates.
    public struct Box: Equatable, Sendable {
        public var image: String
        /// A Thorax class name ("Infiltrate" already read as "Infiltration").
        public var finding: String
        public var x, y, width, height: Double
    }

    public var entries: [Entry]
    public var boxes: [Box]
    /// Image names of the official `train_val` and `test` parts, in file order.
    public var trainValidation: [String]
    public var test: [String]

    /// The Data_Entry header's first two column names, checked so a wrong file is caught.
    static let dataEntryHeaderStart = "Image Index,Finding Labels,"
    static let boxHeaderStart = "Image Index,Finding Label,"

    /// Reads and checks the four files.
    public static func read(dataEntry: URL, boxes: URL, trainValidationList: URL, testList: URL) throws -> NIHRelease {
        let entries = try readDataEntry(dataEntry)
        var known = Set<String>(minimumCapacity: entries.count)
        for entry in entries { known.insert(entry.name) }
        let boxes = try readBoxes(boxes, known: known)
        let trainValidation = try readList(trainValidationList, known: known)
        let test = try readList(testList, known: known)
        let testNames = Dictionary(test.map { ($0.name, $0.line) }, uniquingKeysWith: { first, _ in first })
        for item in trainValidation {
            if let testLine = testNames[item.name] {
                throw StoreError.badLine(
                    file: trainValidationList.path, line: item.line,
                    reason: "\(item.name) is also in \(testList.path) (line \(testLine)): an image cannot be in both parts")
            }
        }
        return NIHRelease(entries: entries, boxes: boxes,
                          trainValidation: trainValidation.map(\.name), test: test.map(\.name))
    }

    /// Throws unless `line` (a header) starts with `start`, so a wrong file is named at once.
    static func checkHeader(_ line: CommaSeparatedFile.Line, of file: CommaSeparatedFile,
                            startsWith start: String, kind: String) throws {
        guard line.text.hasPrefix(start) else {
            throw StoreError.badLine(file: file.file, line: line.number,
                                     reason: "not a \(kind) file: the header must start with \"\(start)\"")
        }
    }

    static func readDataEntry(_ url: URL) throws -> [Entry] {
        let file = try CommaSeparatedFile(url)
        var entries: [Entry] = []
        entries.reserveCapacity(120_000)
        var seen: [String: Int] = [:]
        seen.reserveCapacity(120_000)
        var sawHeader = false
        try file.forEachLine { line in
            if !sawHeader {
                sawHeader = true
                return try checkHeader(line, of: file, startsWith: dataEntryHeaderStart, kind: "Data_Entry")
            }
            guard line.count == 11 else {
                throw StoreError.badLine(file: file.file, line: line.number,
                    reason: "expected 11 comma-separated fields, found \(line.count)")
            }
            func bad(_ column: String, _ what: String) -> StoreError {
                .badLine(file: file.file, line: line.number, reason: "\(column): \(what)")
            }
            func text(_ index: Int, _ column: String) throws -> String {
                guard let value = line.string(index) else { throw bad(column, "not UTF-8 text") }
                return value
            }
            func integer(_ index: Int, _ column: String) throws -> Int {
                guard let value = line.integer(index), value >= 0 else {
                    throw bad(column, "\"\(try text(index, column))\" is not a non-negative integer")
                }
                return value
            }
            func real(_ index: Int, _ column: String) throws -> Double {
                guard let value = line.double(index), value.isFinite, value > 0 else {
                    throw bad(column, "\"\(try text(index, column))\" is not a positive number")
                }
                return value
            }
            let name = try text(0, "Image Index")
            guard !name.isEmpty else { throw bad("Image Index", "empty") }
            if let first = seen.updateValue(line.number, forKey: name) {
                throw bad("Image Index", "\(name) is listed twice (first on line \(first))")
            }
            let findings = try parseFindings(try text(1, "Finding Labels")) { bad("Finding Labels", $0) }
            let sex = try text(5, "Patient Gender")
            guard sex == "M" || sex == "F" else { throw bad("Patient Gender", "\"\(sex)\" is not M or F") }
            let view = try text(6, "View Position")
            guard !view.isEmpty else { throw bad("View Position", "empty") }
            let patient = try text(3, "Patient ID")
            // The value is not echoed: error messages never show who a patient is.
            guard line.integer(3) != nil else { throw bad("Patient ID", "not a number") }
            entries.append(Entry(
                name: name, findings: findings,
                followUp: try integer(2, "Follow-up #"), patient: patient,
                age: try integer(4, "Patient Age"), sex: sex, view: view,
                originalWidth: try integer(7, "OriginalImage Width"),
                originalHeight: try integer(8, "OriginalImage Height"),
                pixelSpacingX: try real(9, "OriginalImagePixelSpacing x"),
                pixelSpacingY: try real(10, "OriginalImagePixelSpacing y")))
        }
        guard sawHeader else {
            throw StoreError.badLine(file: file.file, line: 1, reason: "empty file")
        }
        return entries
    }

    /// Parses a `|`-joined "Finding Labels" field into classes in Thorax order.
    static func parseFindings(_ field: String, error: (String) -> StoreError) throws -> [String] {
        if field == Findings.noFinding { return [] }
        var indices: [Int] = []
        for part in field.split(separator: "|", omittingEmptySubsequences: false) {
            let name = Findings.nihAliases[String(part)] ?? String(part)
            guard let index = Findings.index[name] else {
                if name == Findings.noFinding {
                    throw error("\"No Finding\" together with findings in \"\(field)\"")
                }
                throw error("unknown class \"\(part)\"")
            }
            if !indices.contains(index) { indices.append(index) }
        }
        return indices.sorted().map { Findings.classes[$0] }
    }

    static func readBoxes(_ url: URL, known: Set<String>) throws -> [Box] {
        let file = try CommaSeparatedFile(url)
        var boxes: [Box] = []
        var sawHeader = false
        try file.forEachLine { line in
            if !sawHeader {
                sawHeader = true
                return try checkHeader(line, of: file, startsWith: boxHeaderStart, kind: "BBox_List")
            }
            func bad(_ what: String) -> StoreError { .badLine(file: file.file, line: line.number, reason: what) }
            // Some copies of the file carry three empty trailing columns; nothing else may follow.
            guard line.count >= 6, (6..<line.count).allSatisfy(line.isEmpty) else {
                throw bad("expected 6 fields (Image Index, Finding Label, x, y, w, h), found \(line.count)")
            }
            guard let image = line.string(0), let label = line.string(1) else { throw bad("not UTF-8 text") }
            guard known.contains(image) else { throw bad("\(image) is not in the Data_Entry file") }
            let name = Findings.nihAliases[label] ?? label
            guard Findings.index[name] != nil else { throw bad("unknown class \"\(label)\"") }
            var numbers: [Double] = []
            for (index, column) in ["x", "y", "w", "h"].enumerated() {
                guard let value = line.double(2 + index), value.isFinite, value >= 0 else {
                    throw bad("\(column): \"\(line.string(2 + index) ?? "")\" is not a non-negative number")
                }
                numbers.append(value)
            }
            guard numbers[2] > 0, numbers[3] > 0 else { throw bad("the box has no area") }
            boxes.append(Box(image: image, finding: name, x: numbers[0], y: numbers[1],
                             width: numbers[2], height: numbers[3]))
        }
        return boxes
    }

    static func readList(_ url: URL, known: Set<String>) throws -> [(name: String, line: Int)] {
        let file = try CommaSeparatedFile(url)
        var names: [(name: String, line: Int)] = []
        var seen: [String: Int] = [:]
        try file.forEachLine { line in
            func bad(_ what: String) -> StoreError { .badLine(file: file.file, line: line.number, reason: what) }
            guard line.count == 1 else { throw bad("expected one image name per line") }
            guard let name = line.string(0) else { throw bad("not UTF-8 text") }
            guard known.contains(name) else { throw bad("\(name) is not in the Data_Entry file") }
            if let first = seen.updateValue(line.number, forKey: name) {
                throw bad("\(name) is listed twice (first on line \(first))")
            }
            names.append((name, line.number))
        }
        return names
    }
}
