import GRDB

extension ThoraxDatabase {
    /// The studies holding stored DICOM instances that match `query` (patient and study
    /// attributes, modalities in study), in the order they were first stored.
    /// - Throws: `StoreError.invalidRequest` for a condition on a series or instance attribute.
    public func searchDICOMStudies(_ query: DICOMQuery) throws -> [DICOMStudyMatch] {
        let (conditions, arguments) = try Self.whereClause(query, level: .study)
        let sql = """
            SELECT p.identifier, p.name, p.birth_date, p.sex, st.identifier, st.date, st.time, st.accession_number,
                   st.dicom_study_id, st.referring_physician, st.description,
                   (SELECT group_concat(DISTINCT modality) FROM series WHERE study_id = st.id AND modality IS NOT NULL),
                   (SELECT count(*) FROM series WHERE study_id = st.id),
                   (SELECT count(*) FROM instances JOIN series ON series.id = instances.series_id WHERE series.study_id = st.id)
            FROM studies st JOIN patients p ON p.id = st.patient_id
            WHERE EXISTS (SELECT 1 FROM series WHERE study_id = st.id)\(conditions)
            ORDER BY st.id LIMIT ? OFFSET ?
            """
        return try queue.read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments + Self.page(query)).map { row in
                let modalities = (row[11] as String?)?.split(separator: ",").map(String.init).sorted() ?? []
                return DICOMStudyMatch(
                    patient: .init(identifier: row[0], name: row[1], birthDate: row[2], sex: row[3]),
                    study: .init(uid: row[4], date: row[5], time: row[6], accessionNumber: row[7], studyID: row[8],
                                 referringPhysician: row[9], description: row[10]),
                    modalities: modalities, seriesCount: row[12], instanceCount: row[13])
            }
        }
    }

    /// The series that match `query` (study and series attributes), in the order they were
    /// first stored. - Throws: `StoreError.invalidRequest` for a condition on an instance attribute.
    public func searchDICOMSeries(_ query: DICOMQuery) throws -> [DICOMSeriesMatch] {
        let (conditions, arguments) = try Self.whereClause(query, level: .series)
        let sql = """
            SELECT st.identifier, se.uid, se.modality, se.number, se.description,
                   (SELECT count(*) FROM instances WHERE series_id = se.id)
            FROM series se JOIN studies st ON st.id = se.study_id JOIN patients p ON p.id = st.patient_id
            WHERE 1\(conditions)
            ORDER BY se.id LIMIT ? OFFSET ?
            """
        return try queue.read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments + Self.page(query)).map { row in
                DICOMSeriesMatch(studyUID: row[0], series: .init(uid: row[1], modality: row[2], number: row[3], description: row[4]),
                                 instanceCount: row[5])
            }
        }
    }

    /// The instances that match `query` (any attribute), in the order they were stored.
    public func searchDICOMInstances(_ query: DICOMQuery) throws -> [DICOMInstanceMatch] {
        let (conditions, arguments) = try Self.whereClause(query, level: .instance)
        let sql = """
            SELECT st.identifier, se.uid, i.uid, i.sop_class_uid, i.number, i.rows, i.columns, i.frames, i.bits_allocated
            FROM instances i JOIN series se ON se.id = i.series_id JOIN studies st ON st.id = se.study_id
                JOIN patients p ON p.id = st.patient_id
            WHERE 1\(conditions)
            ORDER BY i.id LIMIT ? OFFSET ?
            """
        return try queue.read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments + Self.page(query)).map { row in
                DICOMInstanceMatch(studyUID: row[0], seriesUID: row[1], sopInstanceUID: row[2], sopClassUID: row[3],
                                   instanceNumber: row[4], rows: row[5], columns: row[6], frames: row[7], bitsAllocated: row[8])
            }
        }
    }

    enum SearchLevel: Int { case study, series, instance }

    /// LIMIT and OFFSET values (SQLite reads a negative limit as none).
    static func page(_ query: DICOMQuery) -> StatementArguments {
        [query.limit ?? -1, max(0, query.offset)]
    }

    /// " AND …" for each condition, with its arguments.
    static func whereClause(_ query: DICOMQuery, level: SearchLevel) throws -> (String, StatementArguments) {
        var sql = ""
        var arguments: StatementArguments = []
        for condition in query.conditions {
            let attribute = condition.attribute
            guard case let (column, columnLevel)? = searchColumn(of: attribute), columnLevel.rawValue <= level.rawValue else {
                if attribute == .modalitiesInStudy, case .anyOf(let values) = condition.match {
                    sql += " AND EXISTS (SELECT 1 FROM series WHERE study_id = st.id AND modality IN ("
                        + values.map { _ in "?" }.joined(separator: ", ") + "))"
                    arguments += StatementArguments(values)
                    continue
                }
                throw StoreError.invalidRequest("\(attribute.rawValue) cannot be matched in a \(level) search")
            }
            let compared = attribute.ignoresCase ? "lower(\(column))" : column
            switch condition.match {
            case .anyOf(let values):
                guard !values.isEmpty else { continue }
                let placeholders = values.map { _ in attribute.ignoresCase ? "lower(?)" : "?" }.joined(separator: ", ")
                sql += " AND \(compared) IN (\(placeholders))"
                arguments += StatementArguments(values)
            case .wildcard(let pattern):
                sql += " AND \(compared) GLOB " + (attribute.ignoresCase ? "lower(?)" : "?")
                arguments += [globPattern(pattern)]
            case .range(let from, let to):
                if let from {
                    sql += " AND \(column) >= ?"
                    arguments += [from]
                }
                if let to {
                    sql += " AND \(column) <= ?"
                    arguments += [to]
                }
                if from == nil && to == nil { sql += " AND \(column) IS NOT NULL" }
            }
        }
        return (sql, arguments)
    }

    /// The column of `attribute` and the level whose table holds it; nil for modalities in
    /// study, which is a condition on the study's series.
    static func searchColumn(of attribute: DICOMQuery.Attribute) -> (String, SearchLevel)? {
        switch attribute {
        case .patientID: return ("p.identifier", .study)
        case .patientName: return ("p.name", .study)
        case .patientBirthDate: return ("p.birth_date", .study)
        case .patientSex: return ("p.sex", .study)
        case .studyInstanceUID: return ("st.identifier", .study)
        case .studyDate: return ("st.date", .study)
        case .studyTime: return ("st.time", .study)
        case .accessionNumber: return ("st.accession_number", .study)
        case .studyID: return ("st.dicom_study_id", .study)
        case .referringPhysicianName: return ("st.referring_physician", .study)
        case .studyDescription: return ("st.description", .study)
        case .modalitiesInStudy: return nil
        case .seriesInstanceUID: return ("se.uid", .series)
        case .modality: return ("se.modality", .series)
        case .seriesNumber: return ("se.number", .series)
        case .seriesDescription: return ("se.description", .series)
        case .sopInstanceUID: return ("i.uid", .instance)
        case .sopClassUID: return ("i.sop_class_uid", .instance)
        case .instanceNumber: return ("i.number", .instance)
        }
    }

    /// A DICOM wildcard value as an SQLite GLOB pattern: `*` and `?` keep their meaning, and
    /// `[`, GLOB's only other special character, matches itself.
    static func globPattern(_ value: String) -> String {
        value.replacingOccurrences(of: "[", with: "[[]")
    }
}
