import Foundation

/// Reports from HL7 v2 ORU^R01 messages (observation results, as a RIS sends finished radiology
/// reports), written by hand: no Swift HL7 v2 library exists. A file holds one message or a
/// batch (segments separated by CR, LF or CRLF; FHS/BHS/BTS/FTS envelopes skipped); each
/// message gives one report or one error naming the file and the message's position.
///
/// Per message: the delimiters from MSH-1 and MSH-2 and the escape sequences (\F\ \S\ \T\ \R\
/// \E\, \.br\ and \X..\ hex); the text of the OBX segments of value type TX, FT or ST, in order,
/// each section named by its OBX-3 observation identifier (FINDINGS for an identifier or text
/// holding "GDT" or "FIND", IMPRESSION for "IMP", else unnamed); the link to the study: the
/// accession number (OBR-18, else OBR-3, first component) and the Study Instance UID (ZDS-1).
/// The report's id is the accession number, else the Study Instance UID, else the message
/// control ID (MSH-10).
enum HL7Reports {
    static func read(path: String) -> [Result<Report, ReportReadError>] {
        let source = ReportSource(path: path)
        let data: Data
        switch ReportFormats.data(path: path) {
        case .success(let d): data = d
        case .failure(let e): return [.failure(e)]
        }
        // HL7 v2 text is often Latin-1; UTF-8 is read as UTF-8, anything else byte for byte.
        let text = String(data: data, encoding: .utf8) ?? String(data.map { Character(Unicode.Scalar($0)) })
        return parse(text, source: source)
    }

    static func parse(_ text: String, source: ReportSource) -> [Result<Report, ReportReadError>] {
        let segments = text.split(whereSeparator: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" })
            .map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        var messages: [[String]] = []
        var stray: [String] = []
        for segment in segments {
            let name = String(segment.prefix(3))
            if ["FHS", "BHS", "BTS", "FTS"].contains(name) { continue }
            if name == "MSH" {
                messages.append([segment])
            } else if messages.isEmpty {
                stray.append(segment)
            } else {
                messages[messages.count - 1].append(segment)
            }
        }
        var results: [Result<Report, ReportReadError>] = []
        if !stray.isEmpty || messages.isEmpty {
            results.append(.failure(ReportReadError(source: source, message: messages.isEmpty
                ? "no HL7 v2 message (no MSH segment)" : "\(stray.count) segment\(stray.count == 1 ? "" : "s") before the first MSH segment, in no message")))
            if messages.isEmpty { return results }
        }
        for (index, message) in messages.enumerated() {
            do {
                results.append(.success(try report(message, source: source)))
            } catch let problem as Problem {
                results.append(.failure(ReportReadError(source: source, message: "message \(index + 1): \(problem.text)")))
            } catch {
                results.append(.failure(ReportReadError(source: source, message: "message \(index + 1): \(error)")))
            }
        }
        return results
    }

    struct Problem: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    /// The delimiters of a message (MSH-1, MSH-2).
    struct Delimiters {
        var field: Character
        var component: Character
        var repetition: Character
        var escape: Character
        var subcomponent: Character
    }

    static func report(_ segments: [String], source: ReportSource) throws -> Report {
        let header = Array(segments[0])
        guard header.count >= 8 else { throw Problem("the MSH segment is too short to hold its delimiters") }
        let delimiters = Delimiters(field: header[3], component: header[4], repetition: header[5], escape: header[6],
                                    subcomponent: header[7])
        guard Set([delimiters.field, delimiters.component, delimiters.repetition, delimiters.escape, delimiters.subcomponent]).count == 5,
              !header[3].isLetter, !header[3].isNumber else {
            throw Problem("the MSH delimiters \(String(header[3...7]).debugDescription) are not five distinct characters")
        }
        // Fields of a segment: [0] is the name; for MSH, [1] is the field separator itself, as HL7 counts.
        func fields(_ segment: String) -> [String] {
            var parts = segment.split(separator: delimiters.field, omittingEmptySubsequences: false).map(String.init)
            if parts.first == "MSH" { parts.insert(String(delimiters.field), at: 1) }
            return parts
        }
        func field(_ parts: [String], _ number: Int) -> String { number < parts.count ? parts[number] : "" }
        func component(_ value: String, _ number: Int) -> String {
            let first = value.split(separator: delimiters.repetition, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let components = first.split(separator: delimiters.component, omittingEmptySubsequences: false)
            return number - 1 < components.count ? unescape(String(components[number - 1]), delimiters).trimmingCharacters(in: .whitespaces) : ""
        }
        for (position, segment) in segments.enumerated() {
            let name = segment.prefix(3)
            guard name.count == 3, name.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) }),
                  segment.count == 3 || segment.dropFirst(3).first == delimiters.field else {
                throw Problem("segment \(position + 1) does not start with a segment name and the field separator")
            }
        }
        let msh = fields(segments[0])
        let type = component(field(msh, 9), 1), trigger = component(field(msh, 9), 2)
        guard type == "ORU", trigger == "R01" else {
            throw Problem("it is \(type.isEmpty ? "a message without a type (MSH-9)" : "\(type)^\(trigger)"), not ORU^R01")
        }
        let control = component(field(msh, 10), 1)
        var accession: String?
        var studyUID: String?
        var sections: [ReportSection] = []
        for segment in segments.dropFirst() {
            let parts = fields(segment)
            switch parts[0] {
            case "OBR" where accession == nil:
                let value = component(field(parts, 18), 1)
                accession = value.isEmpty ? (component(field(parts, 3), 1).isEmpty ? nil : component(field(parts, 3), 1)) : value
            case "ZDS" where studyUID == nil:
                let value = component(field(parts, 1), 1)
                studyUID = value.isEmpty ? nil : value
            case "OBX":
                guard ["TX", "FT", "ST"].contains(field(parts, 2)) else { continue }
                let identifier = (component(field(parts, 3), 1) + " " + component(field(parts, 3), 2)).uppercased()
                let name: String? = identifier.contains("IMP") ? "IMPRESSION"
                    : identifier.contains("GDT") || identifier.contains("FIND") ? "FINDINGS" : nil
                let lines = field(parts, 5).split(separator: delimiters.repetition, omittingEmptySubsequences: false)
                    .map { unescape(String($0), delimiters) }
                let text = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
                guard !text.isEmpty else { continue }
                if let index = sections.lastIndex(where: { $0.name == name }), index == sections.count - 1 || name != nil {
                    sections[index].text += "\n" + text
                } else {
                    sections.append(ReportSection(name: name, text: text))
                }
            default:
                continue
            }
        }
        guard !sections.isEmpty else { throw Problem("no report text (no OBX segment of value type TX, FT or ST with a value)") }
        guard let id = accession ?? studyUID ?? (control.isEmpty ? nil : control) else {
            throw Problem("nothing to name the report by: no accession number (OBR-18, OBR-3), Study Instance UID (ZDS-1) or message control ID (MSH-10)")
        }
        let study = accession == nil && studyUID == nil ? nil : StudyReference(studyInstanceUID: studyUID, accessionNumber: accession)
        return Report(id: id, sections: sections, source: source, study: study)
    }

    /// `value` with HL7's escape sequences replaced: \F\ \S\ \T\ \R\ \E\ by the delimiters,
    /// \.br\ by a line break, \Xhh..\ by those bytes (as Latin-1); others (formatting, \H\ \N\) dropped.
    static func unescape(_ value: String, _ delimiters: Delimiters) -> String {
        guard value.contains(delimiters.escape) else { return value }
        var result = ""
        var rest = Substring(value)
        while let start = rest.firstIndex(of: delimiters.escape) {
            result += rest[..<start]
            let afterStart = rest.index(after: start)
            guard let end = rest[afterStart...].firstIndex(of: delimiters.escape) else {
                result += rest[start...]
                return result
            }
            let sequence = rest[afterStart..<end]
            switch sequence {
            case "F": result.append(delimiters.field)
            case "S": result.append(delimiters.component)
            case "T": result.append(delimiters.subcomponent)
            case "R": result.append(delimiters.repetition)
            case "E": result.append(delimiters.escape)
            case ".br": result += "\n"
            default:
                if sequence.first == "X" {
                    var hex = sequence.dropFirst()
                    while hex.count >= 2, let byte = UInt8(hex.prefix(2), radix: 16) {
                        result.append(Character(Unicode.Scalar(byte)))
                        hex = hex.dropFirst(2)
                    }
                }
            }
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }
}
