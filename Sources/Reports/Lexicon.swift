import Foundation

/// What a phrase of the lexicon means when it matches.
enum PhraseRole: Sendable, Equatable {
    /// A name, synonym or inflection of a finding.
    case mention(Finding)
    /// A phrase that contains a finding's word but is not that finding ("subcutaneous emphysema").
    case exclusion
    /// A negation, uncertainty, pseudo-negation or scope-terminating phrase.
    case trigger(TriggerKind)
}

/// The kinds of trigger phrase; a phrase listed under several kinds has all of them.
struct TriggerKind: OptionSet, Sendable, Hashable {
    let rawValue: UInt8
    /// Negates what follows it in its scope: "no", "without evidence of", "clear of".
    static let negationBefore = TriggerKind(rawValue: 1)
    /// Negates what precedes it: "… is not seen", "… has resolved".
    static let negationAfter = TriggerKind(rawValue: 2)
    /// Makes what follows uncertain: "possible", "cannot exclude", "concern for".
    static let uncertaintyBefore = TriggerKind(rawValue: 4)
    /// Makes what precedes uncertain: "… cannot be excluded", "… is suspected".
    static let uncertaintyAfter = TriggerKind(rawValue: 8)
    /// Looks like a trigger but is none ("no change in", "not only"): it only blocks shorter
    /// triggers inside it from firing.
    static let pseudo = TriggerKind(rawValue: 16)
    /// Ends the scope of any trigger: "but", "however", "which".
    static let terminator = TriggerKind(rawValue: 32)

    /// The section names of the rules file, in the order they are documented.
    static let sectionNames: [(String, TriggerKind)] = [
        ("negation-before", .negationBefore), ("negation-after", .negationAfter),
        ("uncertainty-before", .uncertaintyBefore), ("uncertainty-after", .uncertaintyAfter),
        ("pseudo", .pseudo), ("terminator", .terminator),
    ]
}

/// One element of a phrase, packed into an `Int32` so that matching (run for every word of
/// every report) touches only plain integers: a value ≥ 0 is a word id, a value −n < 0 is a
/// gap of up to n words (written `...` or `...n`).
typealias PhraseElement = Int32

/// A compiled phrase of the vocabulary or the rules.
struct Phrase: Sendable {
    var elements: [PhraseElement]
    var role: PhraseRole
    /// The phrase as written in its file, kept as evidence ("negation-before: no evidence of").
    var text: String
}

/// An error in a vocabulary or rules file, naming the file and line.
public struct LexiconError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String { "\(file):\(line): \(message)" }
}

/// The labeller's data: the finding vocabulary (names, synonyms, inflections, exclusions) and the
/// negation/uncertainty rules, compiled from their text files.
///
/// File format (both files; a file may hold any of the sections): `#` starts a comment; a line
/// `[Name]` opens a section; every other non-empty line is one phrase of that section, written
/// as lower-case words separated by spaces, where `...` (or `...N`) stands for a gap of up to 4
/// (or N) words that crosses no punctuation. Sections: one per finding, named exactly as the
/// finding (`[Atelectasis]`, `[Pleural_Thickening]`), `[exclude]`, `[abbreviation]` (words that a
/// period does not end a sentence after), and the trigger kinds `[negation-before]`,
/// `[negation-after]`, `[uncertainty-before]`, `[uncertainty-after]`, `[pseudo]`, `[terminator]`.
/// The scope limits are set in a `[scope]` section with lines `before N` and `after N` (words).
struct Lexicon: Sendable {
    static let unknownWord: Int32 = -1
    static let numberWord: Int32 = 0
    private static let punctuation: [UInt8] = Array(",;:()/?".utf8)

    /// The word id of a punctuation byte, or nil when the byte is no punctuation token.
    @inline(__always)
    static func punctuationWord(_ b: UInt8) -> Int32? {
        switch b {
        case 44: return 1
        case 59: return 2
        case 58: return 3
        case 40: return 4
        case 41: return 5
        case 47: return 6
        case 63: return 7
        default: return nil
        }
    }

    var words = WordTable()
    var phrases: [Phrase] = []
    /// For each word id, the trigger phrases that start with it, longest first.
    var triggersByFirstWord: [[Int32]] = []
    /// For each word id, the mention and exclusion phrases that start with it, longest first.
    var mentionsByFirstWord: [[Int32]] = []
    /// For each word id, whether any mention or exclusion starts with it: a flat table that
    /// lets the labeller skip the many words that start nothing without touching the lists.
    var startsMention: [Bool] = []
    var abbreviations: Set<Int32> = []
    /// How many words a trigger's scope reaches before (after) a mention at most.
    var scopeBefore = 12
    var scopeAfter = 8

    init() {
        _ = words.intern("<number>")
        for b in Self.punctuation { _ = words.intern(String(UnicodeScalar(b))) }
    }

    /// Compiles the given files (name and text pairs); later files add to earlier ones.
    init(files: [(name: String, text: String)]) throws {
        self.init()
        for file in files { try add(file.text, file: file.name) }
        index()
    }

    private mutating func add(_ text: String, file: String) throws {
        var section: String?
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = offset + 1
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix("[") {
                guard trimmed.hasSuffix("]") else {
                    throw LexiconError(file: file, line: lineNumber, message: "section heading '\(trimmed)' lacks ']'")
                }
                let name = String(trimmed.dropFirst().dropLast())
                guard Self.isKnownSection(name) else {
                    throw LexiconError(file: file, line: lineNumber, message:
                        "unknown section '[\(name)]'; expected a finding name (e.g. [Effusion]), [exclude], [abbreviation], [scope] or a trigger kind (\(TriggerKind.sectionNames.map(\.0).joined(separator: ", ")))")
                }
                section = name
                continue
            }
            guard let section else {
                throw LexiconError(file: file, line: lineNumber, message: "phrase '\(trimmed)' stands before any [section]")
            }
            let parts = trimmed.lowercased().split(separator: " ").map(String.init)
            if section == "scope" {
                guard parts.count == 2, let value = Int(parts[1]), value >= 0, parts[0] == "before" || parts[0] == "after" else {
                    throw LexiconError(file: file, line: lineNumber, message: "expected 'before N' or 'after N' in [scope], got '\(trimmed)'")
                }
                if parts[0] == "before" { scopeBefore = value } else { scopeAfter = value }
                continue
            }
            if section == "abbreviation" {
                guard parts.count == 1 else {
                    throw LexiconError(file: file, line: lineNumber, message: "an abbreviation is one word, got '\(trimmed)'")
                }
                abbreviations.insert(words.intern(parts[0]))
                continue
            }
            let elements = try compile(parts, file: file, line: lineNumber, original: trimmed)
            let role: PhraseRole
            if let finding = Finding(rawValue: section) {
                role = .mention(finding)
            } else if section == "exclude" {
                role = .exclusion
            } else {
                role = .trigger(TriggerKind.sectionNames.first { $0.0 == section }!.1)
            }
            // A trigger listed under several kinds is one phrase with all of them ("versus").
            if case .trigger(let kind) = role, let same = phrases.firstIndex(where: {
                if case .trigger = $0.role { return $0.elements == elements } else { return false }
            }), case .trigger(let existing) = phrases[same].role {
                phrases[same].role = .trigger(existing.union(kind))
                continue
            }
            phrases.append(Phrase(elements: elements, role: role, text: trimmed.lowercased()))
        }
    }

    private static func isKnownSection(_ name: String) -> Bool {
        Finding(rawValue: name) != nil || ["exclude", "abbreviation", "scope"].contains(name)
            || TriggerKind.sectionNames.contains { $0.0 == name }
    }

    /// Turns the words of one phrase line into elements, splitting words as the tokenizer does.
    private mutating func compile(_ parts: [String], file: String, line: Int, original: String) throws -> [PhraseElement] {
        var elements: [PhraseElement] = []
        for part in parts {
            if part.hasPrefix("...") {
                let count = part == "..." ? 4 : Int(part.dropFirst(3))
                guard let count, count > 0, !elements.isEmpty else {
                    throw LexiconError(file: file, line: line, message: "bad gap '\(part)' in '\(original)': a gap is '...' or '...N' between words")
                }
                elements.append(PhraseElement(-count))
                continue
            }
            // Split as the tokenizer would: letters form words; digits a number; , ; : ( ) / stand alone.
            var word = ""
            func flush() { if !word.isEmpty { elements.append(words.intern(word)); word = "" } }
            for scalar in part.unicodeScalars {
                if scalar.value < 128, let b = Optional(UInt8(scalar.value)), let p = Self.punctuationWord(b) {
                    flush(); elements.append(p)
                } else if scalar.properties.isAlphabetic {
                    word.unicodeScalars.append(scalar)
                } else if scalar == "-" || scalar == "'" {
                    flush()
                } else {
                    throw LexiconError(file: file, line: line, message: "unsupported character '\(scalar)' in '\(original)'")
                }
            }
            flush()
        }
        guard let first = elements.first, let last = elements.last, first >= 0, last >= 0 else {
            throw LexiconError(file: file, line: line, message: "phrase '\(original)' must start and end with a word")
        }
        return elements
    }

    /// Builds the first-word indexes, longest phrase first so that the first match is the longest.
    private mutating func index() {
        triggersByFirstWord = Array(repeating: [], count: words.count)
        mentionsByFirstWord = Array(repeating: [], count: words.count)
        startsMention = Array(repeating: false, count: words.count)
        let order = phrases.indices.sorted { phrases[$0].elements.count > phrases[$1].elements.count }
        for p in order {
            let first = phrases[p].elements[0]
            if case .trigger = phrases[p].role {
                triggersByFirstWord[Int(first)].append(Int32(p))
            } else {
                mentionsByFirstWord[Int(first)].append(Int32(p))
                startsMention[Int(first)] = true
            }
        }
    }
}
