import Foundation
import Imaging
import Store

extension DICOMwebRoutes {
    /// What `includefield=all` adds at the study level beyond the attributes always returned:
    /// the rest of the Patient and General Study modules that an X-ray file commonly carries.
    static let studyLevelFields: Set<UInt32> = [
        0x0008_1030,   // Study Description
        0x0008_1060,   // Name of Physician(s) Reading Study
        0x0010_0021,   // Issuer of Patient ID
        0x0010_1000,   // Other Patient IDs
        0x0010_1010,   // Patient's Age
        0x0010_1020,   // Patient's Size
        0x0010_1030,   // Patient's Weight
        0x0010_2160,   // Ethnic Group
        0x0010_4000,   // Patient Comments
    ]

    /// What `includefield=all` adds at the series level: the rest of the General Series module.
    static let seriesLevelFields: Set<UInt32> = [
        0x0008_0021,   // Series Date
        0x0008_0031,   // Series Time
        0x0018_0015,   // Body Part Examined
        0x0018_1030,   // Protocol Name
        0x0018_5100,   // Patient Position
        0x0020_0060,   // Laterality
        0x0040_0244,   // Performed Procedure Step Start Date
        0x0040_0245,   // Performed Procedure Step Start Time
        0x0040_0254,   // Performed Procedure Step Description
    ]

    /// Adds to a match the attributes `includefield` asks for that it lacks (PS3.18 8.3.4.3),
    /// read from the file of `representative` (for a study or series, its first stored source
    /// instance): the tags listed, and for `all` the level's fields — at the instance level,
    /// every top-level attribute but bulk data. An attribute the file lacks is left out; no
    /// file is read when nothing is missing.
    /// - Throws: 500 (logged) when the stored file is gone; a file that no longer parses adds
    ///   nothing (logged).
    func addIncludedFields(_ dataSet: inout DICOMJSONDataSet, _ search: SearchRequest, level: SearchRequest.Level,
                           representative: () throws -> StoredDICOMInstance?) throws {
        let wanted: Set<UInt32>? = search.includeAll
            ? (level == .instance ? nil : search.includeFields.union(level == .study ? Self.studyLevelFields : Self.seriesLevelFields))
            : search.includeFields
        if let wanted, wanted.allSatisfy({ dataSet[$0] != nil }) { return }
        guard let instance = try representative() else { return }
        let elements: DICOMDataElements
        do {
            elements = try DICOMFile.dataElements(Data(try read(instance)), name: instance.sopInstanceUID, implicitVR: { group, element in
                DataDictionary.byTag[UInt32(group) << 16 | UInt32(element)]?.vr
            }, inlineLimit: options.inlineBinaryLimit)
        } catch is ImagingError {
            // Stored files were parsed when stored, so this one changed on disk since.
            logger.error("stored file unreadable for includefield", metadata: ["sop": "\(instance.sopInstanceUID)"])
            return
        }
        let file = DICOMJSONDataSet(elements)
        for (tag, attribute) in file.attributes where dataSet[tag] == nil && (wanted?.contains(tag) ?? true) {
            dataSet[tag] = attribute
        }
    }

    /// The first stored source instance (not a result) of a study, or of one of its series.
    func firstSource(study: String, series: String? = nil) throws -> StoredDICOMInstance? {
        let stored = try database.storedDICOMInstances(study: study, series: series)
        return stored.first { $0.derivedFrom == nil } ?? stored.first
    }
}
