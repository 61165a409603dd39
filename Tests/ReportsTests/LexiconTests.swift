import XCTest
@testable import Reports

/// Vocabulary and rules files: user files work, mistakes are named by file and line.
final class LexiconTests: XCTestCase {
    func testUserVocabularyReplacesBundledOne() throws {
        let labeler = try ReportLabeler(files: [
            ("mine.txt", "[Nodule]\ngranuloma\ngranulomas\n[negation-before]\nno\n[exclude]\ncalcified ... granuloma\n"),
        ])
        func nodule(_ text: String) -> LabelValue? { labeler.label(Report(id: "x", text: text))[.nodule] }
        XCTAssertEqual(nodule("Right upper lobe granuloma."), .positive)
        XCTAssertEqual(nodule("No granulomas."), .negative)
        XCTAssertNil(nodule("Calcified right hilar granuloma."))
        XCTAssertNil(nodule("Pulmonary nodule."), "the bundled vocabulary is replaced, not extended")
    }

    func testErrorsNameFileAndLine() {
        func message(_ text: String) -> String {
            do { _ = try ReportLabeler(files: [("v.txt", text)]); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(message("nodule\n"), "v.txt:1: phrase 'nodule' stands before any [section]")
        XCTAssertEqual(message("# c\n[Nodules]\n"), "v.txt:2: unknown section '[Nodules]'; expected a finding name (e.g. [Effusion]), [exclude], [abbreviation], [scope] or a trigger kind (negation-before, negation-after, uncertainty-before, uncertainty-after, pseudo, terminator)")
        XCTAssertEqual(message("[Mass]\n... mass\n"), "v.txt:2: bad gap '...' in '... mass': a gap is '...' or '...N' between words")
        XCTAssertEqual(message("[scope]\nbefore many\n"), "v.txt:2: expected 'before N' or 'after N' in [scope], got 'before many'")
    }

    func testBundledFilesLoad() throws {
        let lexicon = bundledLabeler.lexicon
        let mentioned = Set(lexicon.phrases.compactMap { phrase -> Finding? in
            if case .mention(let f) = phrase.role { return f } else { return nil }
        })
        XCTAssertEqual(mentioned, Set(Finding.allCases), "every finding has vocabulary")
    }
}
