import Foundation
import GRDB

extension ThoraxDatabase {
    /// The NIH Data_Entry header, byte for byte (its unquoted commas included).
    public static let dataEntryHeader = "Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]"

    /// Writes the images of `split`'s `part` (every image when `split` is nil; every part when
    /// `part` is nil) in the NIH Data_Entry format, ordered by image name: the positive image
    /// labels of `source` (of model `modelID` when given: source `model`) joined by `|` in Thorax class order, or "No Finding" when there are
    /// none. Numbers are written as the NIH file writes them, so exporting an imported release
    /// reproduces its rows.
    ///
    /// The file is written atomically (temporary file, then rename). Returns the row count.
    /// Throws `notFound` for an unknown split, part or model, and — unless `allowEmpty` — for no
    /// image to write (then no file is written); `cannotWrite` naming the file.
    @discardableResult
    public func exportDataEntry(split: String?, part: String?, source: String = "nih", modelID: Int64? = nil,
                                to url: URL, allowEmpty: Bool = true) throws -> Int {
        var text = Self.dataEntryHeader + "\n"
        let count = try queue.read { db -> Int in
            var filter = ""
            var arguments: StatementArguments = [source, modelID]
            if let modelID {
                let known = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM models WHERE id = ?)",
                                              arguments: [modelID]) ?? false
                guard known else { throw StoreError.notFound("\(path ?? "the database") has no model with id \(modelID) (`thorax db stats` lists the models)") }
            }
            if let split {
                let (condition, splitArguments) = try Self.splitCondition(db, column: "i.id", split: split, part: part)
                filter = "WHERE 1 " + condition
                arguments += splitArguments
            }
            // The unary + keeps SQLite on the per-image label index: left to itself it picks
            // `labels_positive` (source, class) and scans every label once per image.
            let order = Dictionary(uniqueKeysWithValues: Findings.classes.enumerated().map { ($1, $0) })
            let rows = try Row.fetchCursor(db, sql: """
                SELECT i.name, group_concat(l.class, '|'), i.follow_up, p.identifier, i.age, i.sex,
                       i.view, i.original_width, i.original_height, i.pixel_spacing_x,
                       i.pixel_spacing_y
                FROM images i JOIN patients p ON p.id = i.patient_id
                LEFT JOIN labels l ON l.image_id = i.id AND +l.source = ? AND +l.model_id IS ? AND +l.value = 1
                    AND l.class <> 'No Finding'
                \(filter)
                GROUP BY i.id ORDER BY i.name
                """, arguments: arguments)
            var count = 0
            while let row = try rows.next() {
                var findings = "No Finding"
                if let joined: String = row[1] {
                    findings = joined.split(separator: "|").map(String.init)
                        .sorted { order[$0, default: 99] < order[$1, default: 99] }.joined(separator: "|")
                }
                func field(_ index: Int) -> String {
                    let value: DatabaseValue = row[index]
                    switch value.storage {
                    case .null: return ""
                    case let .int64(number): return String(number)
                    case let .double(number): return "\(number)"
                    case let .string(string): return string
                    case .blob: return ""
                    }
                }
                text += [field(0), findings, field(2), field(3), field(4), field(5), field(6),
                         field(7), field(8), field(9), field(10)].joined(separator: ",")
                text += "\n"
                count += 1
            }
            return count
        }
        if count == 0 && !allowEmpty {
            throw StoreError.notFound("\(path ?? "the database") holds no images\(Self.scope(split: split, part: part)) to export")
        }
        try Self.write(text, to: url)
        return count
    }

    /// " of SPLIT" or " of SPLIT:PART" for messages, "" without a split.
    static func scope(split: String?, part: String?) -> String {
        split.map { " of \($0)" + (part.map { ":\($0)" } ?? "") } ?? ""
    }

    /// Writes `text` to `url` atomically (temporary file, then rename).
    /// Throws `cannotWrite` naming the file.
    static func write(_ text: String, to url: URL) throws {
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw StoreError.cannotWrite(file: url.path, reason: error.localizedDescription)
        }
    }

    /// The SQL condition `AND <column> IN (images of split's part)` (any part when `part` is
    /// nil) and its arguments. Throws `notFound` for an unknown split or part.
    static func splitCondition(_ db: Database, column: String, split: String, part: String?) throws -> (String, StatementArguments) {
        let parts = try String.fetchAll(db, sql: "SELECT DISTINCT part FROM splits WHERE name = ? ORDER BY part",
                                        arguments: [split])
        guard !parts.isEmpty else { throw StoreError.notFound("no split named '\(split)'") }
        guard let part else {
            return ("AND \(column) IN (SELECT image_id FROM splits WHERE name = ?)", [split])
        }
        guard parts.contains(part) else {
            throw StoreError.notFound("split '\(split)' has no part '\(part)' (it has \(parts.joined(separator: ", ")))")
        }
        return ("AND \(column) IN (SELECT image_id FROM splits WHERE name = ? AND part = ?)", [split, part])
    }
}
