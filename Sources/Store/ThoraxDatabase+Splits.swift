import Random
import GRDB

/// How to make a random patient-level split.
public struct SplitRequest: Sendable {
    /// The new split's name (not `official` unless `replace`).
    public var name: String
    /// Part names and their relative sizes in images, e.g. train/validation/test and 70/10/20.
    public var parts: [(name: String, ratio: Double)]
    public var seed: UInt64
    /// Split only the images of this existing split part (e.g. `official`, `train_val`), or
    /// every image when nil.
    public var within: (split: String, part: String)?
    /// Replace a split of the same name instead of refusing.
    public var replace: Bool

    public init(name: String, parts: [(name: String, ratio: Double)], seed: UInt64,
                within: (split: String, part: String)? = nil, replace: Bool = false) {
        self.name = name
        self.parts = parts
        self.seed = seed
        self.within = within
        self.replace = replace
    }

    /// The usual part names for two or three ratios: train/test, train/validation/test.
    public static func defaultPartNames(count: Int) -> [String]? {
        switch count {
        case 2: return ["train", "test"]
        case 3: return ["train", "validation", "test"]
        default: return nil
        }
    }
}

/// Images and patients per part of a split.
public struct SplitPartCount: Equatable, Sendable {
    public var part: String
    public var images: Int
    public var patients: Int
}

extension ThoraxDatabase {
    /// Makes a random patient-level split and stores it in one transaction.
    ///
    /// Patients (sorted by identifier, then shuffled by `SplitMix64(seed:)`) are dealt out in
    /// order, each whole patient to the part whose share of the image count the middle of
    /// its images falls in, so parts approach the ratios in images and no patient is cut.
    /// The stored split is then checked: a patient in two parts throws
    /// `StoreError.splitNotDisjoint` and nothing is written. Throws `invalidRequest` for bad
    /// ratios, an existing name without `replace`, or an empty selection.
    @discardableResult
    public func makePatientSplit(_ request: SplitRequest) throws -> [SplitPartCount] {
        guard !request.name.isEmpty else { throw StoreError.invalidRequest("the split needs a name") }
        guard request.parts.count >= 2 else {
            throw StoreError.invalidRequest("a split needs at least two parts, got \(request.parts.count)")
        }
        guard request.parts.allSatisfy({ $0.ratio > 0 && $0.ratio.isFinite }) else {
            throw StoreError.invalidRequest("ratios must be positive numbers")
        }
        guard Set(request.parts.map(\.name)).count == request.parts.count,
              request.parts.allSatisfy({ !$0.name.isEmpty }) else {
            throw StoreError.invalidRequest("part names must be distinct and not empty")
        }
        return try queue.write { db in
            let exists = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM splits WHERE name = ?)",
                                           arguments: [request.name]) ?? false
            if exists {
                guard request.replace else {
                    throw StoreError.invalidRequest("a split named '\(request.name)' exists already (use --replace)")
                }
                try db.execute(sql: "DELETE FROM splits WHERE name = ?", arguments: [request.name])
            }

            // Each patient's images, patients in identifier order.
            let rows: [Row]
            if let within = request.within {
                rows = try Row.fetchAll(db, sql: """
                    SELECT p.identifier, i.id FROM splits s
                    JOIN images i ON i.id = s.image_id JOIN patients p ON p.id = i.patient_id
                    WHERE s.name = ? AND s.part = ? ORDER BY p.identifier, i.id
                    """, arguments: [within.split, within.part])
                if rows.isEmpty {
                    let parts = try String.fetchAll(db, sql: "SELECT DISTINCT part FROM splits WHERE name = ? ORDER BY part",
                                                    arguments: [within.split])
                    if parts.isEmpty { throw StoreError.notFound("no split named '\(within.split)'") }
                    throw StoreError.notFound("split '\(within.split)' has no part '\(within.part)' (it has \(parts.joined(separator: ", ")))")
                }
            } else {
                rows = try Row.fetchAll(db, sql: """
                    SELECT p.identifier, i.id FROM images i JOIN patients p ON p.id = i.patient_id
                    ORDER BY p.identifier, i.id
                    """)
                if rows.isEmpty {
                    throw StoreError.invalidRequest("\(path ?? "the database") holds no images to split (`thorax db import-nih` or `thorax db import-dicom` adds them)")
                }
            }
            var patients: [[Int64]] = []
            var previous: String?
            for row in rows {
                let identifier: String = row[0]
                if identifier != previous { patients.append([]); previous = identifier }
                patients[patients.count - 1].append(row[1])
            }

            var generator = SplitMix64(seed: request.seed)
            generator.shuffle(&patients)

            let totalRatio = request.parts.reduce(0) { $0 + $1.ratio }
            var bounds: [Double] = []
            var cumulative = 0.0
            for part in request.parts {
                cumulative += part.ratio / totalRatio
                bounds.append(cumulative)
            }
            let totalImages = Double(rows.count)
            let insert = try db.makeStatement(sql: "INSERT INTO splits (image_id, name, part) VALUES (?, ?, ?)")
            var counts = request.parts.map { SplitPartCount(part: $0.name, images: 0, patients: 0) }
            var dealt = 0
            for images in patients {
                let middle = (Double(dealt) + Double(images.count) / 2) / totalImages
                let index = bounds.firstIndex { middle < $0 } ?? bounds.count - 1
                for id in images {
                    try insert.execute(arguments: [id, request.name, request.parts[index].name])
                }
                counts[index].images += images.count
                counts[index].patients += 1
                dealt += images.count
            }

            let crossing = try patientsInSeveralParts(of: request.name, db, limit: Int.max)
            if !crossing.isEmpty { throw StoreError.splitNotDisjoint(split: request.name, patients: crossing.count) }
            return counts
        }
    }

    /// Patients (up to `limit`, by identifier) with images in more than one part of `split`;
    /// empty when the split is patient-disjoint.
    public func patientsInSeveralParts(of split: String, limit: Int = 10) throws -> [String] {
        try queue.read { db in try patientsInSeveralParts(of: split, db, limit: limit) }
    }

    func patientsInSeveralParts(of split: String, _ db: Database, limit: Int = 10) throws -> [String] {
        try String.fetchAll(db, sql: """
            SELECT p.identifier FROM splits s
            JOIN images i ON i.id = s.image_id JOIN patients p ON p.id = i.patient_id
            WHERE s.name = ? GROUP BY p.id HAVING count(DISTINCT s.part) > 1
            ORDER BY p.identifier LIMIT ?
            """, arguments: [split, limit])
    }

    /// The part names of `split`, sorted; empty when there is no such split.
    public func parts(ofSplit split: String) throws -> [String] {
        try queue.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT part FROM splits WHERE name = ? ORDER BY part", arguments: [split])
        }
    }

    /// Images and patients per part of `split`, parts by name. Throws `notFound` for no split.
    public func splitCounts(_ split: String) throws -> [SplitPartCount] {
        let counts = try queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.part, count(*), count(DISTINCT i.patient_id) FROM splits s
                JOIN images i ON i.id = s.image_id WHERE s.name = ? GROUP BY s.part ORDER BY s.part
                """, arguments: [split]).map { SplitPartCount(part: $0[0], images: $0[1], patients: $0[2]) }
        }
        if counts.isEmpty { throw StoreError.notFound("no split named '\(split)'") }
        return counts
    }
}
