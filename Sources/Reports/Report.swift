/// One free-text radiology report as read from a file: its id, its sections and where it came from.
public struct Report: Sendable, Equatable {
    /// The report's id: the `uId` of an OpenI XML file, the stem of a plain-text file, the `id`
    /// column of a CSV (or the 1-based data row number of a headerless one-column CSV).
    public var id: String
    /// The sections in reading order. A report without headings has one section named nil.
    public var sections: [ReportSection]
    /// The file the report came from (and the row, for CSV), for error messages and evidence.
    public var source: ReportSource
    /// The imaging study the report describes, when its format says (DICOM SR, HL7 v2).
    public var study: StudyReference?

    public init(id: String, sections: [ReportSection], source: ReportSource, study: StudyReference? = nil) {
        self.id = id
        self.sections = sections
        self.source = source
        self.study = study
    }

    /// A report from plain text, split at its headings ("FINDINGS:", "IMPRESSION:") if any.
    public init(id: String, text: String, source: ReportSource = ReportSource(path: "-")) {
        self.init(id: id, sections: ReportSection.split(text), source: source)
    }

    /// All section texts joined by blank lines, headings included (for storage and display).
    public var fullText: String {
        sections.map { section in
            if let name = section.name { return "\(name): \(section.text)" }
            return section.text
        }.joined(separator: "\n\n")
    }
}

/// How a hospital's report names its imaging study: the Study Instance UID, the accession
/// number (the RIS order's identifier), or both.
public struct StudyReference: Sendable, Equatable {
    public var studyInstanceUID: String?
    public var accessionNumber: String?

    public init(studyInstanceUID: String? = nil, accessionNumber: String? = nil) {
        self.studyInstanceUID = studyInstanceUID
        self.accessionNumber = accessionNumber
    }
}

/// A named part of a report, e.g. FINDINGS or IMPRESSION.
public struct ReportSection: Sendable, Equatable {
    /// The upper-cased heading ("FINDINGS", "IMPRESSION", "COMPARISON", …), or nil for text
    /// that stands under no heading.
    public var name: String?
    public var text: String

    public init(name: String?, text: String) {
        self.name = name
        self.text = text
    }
}

/// Where a report (or a read error) came from: a file path and, for CSV inputs, a row.
public struct ReportSource: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    /// The 1-based line of the row's start in a CSV file, nil for whole-file formats.
    public var line: Int?

    public init(path: String, line: Int? = nil) {
        self.path = path
        self.line = line
    }

    public var description: String {
        if let line { return "\(path):\(line)" }
        return path
    }
}

/// Why a file or a row could not be read; one per failed input, all others still read.
public struct ReportReadError: Error, Sendable, Equatable, CustomStringConvertible {
    public var source: ReportSource
    public var message: String

    public init(source: ReportSource, message: String) {
        self.source = source
        self.message = message
    }

    public var description: String { "\(source): \(message)" }
}
