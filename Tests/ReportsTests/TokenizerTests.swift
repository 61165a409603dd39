import XCTest
@testable import Reports

/// Sentences and tokens on the shapes of real report text.
final class TokenizerTests: XCTestCase {
    private func sentences(_ text: String) -> [String] {
        let tokenizer = Tokenizer(lexicon: bundledLabeler.lexicon)
        var lowered: [UInt8] = [], tokens: [Token] = [], result: [Sentence] = []
        var copy = text
        return copy.withUTF8 { bytes in
            tokenizer.tokenize(bytes, lowered: &lowered, tokens: &tokens, sentences: &result)
            return result.map { String(decoding: UnsafeBufferPointer(rebasing: bytes[$0.bytes]), as: UTF8.self) }
        }
    }

    func testNumbersAndAbbreviationsDoNotEndSentences() {
        XCTAssertEqual(sentences("A 1.5 cm nodule, e.g. granuloma. Compared with Dr. XXXX's study vs. prior. Stable."),
                       ["A 1.5 cm nodule, e.g. granuloma.", "Compared with Dr. XXXX's study vs. prior.", "Stable."])
    }

    func testLineBreaksListsAndMissingPeriods() {
        XCTAssertEqual(sentences("heart and mediastinum are\nstable\nLungs clear\n1. No pneumothorax\n2. Cardiomegaly"),
                       ["heart and mediastinum are\nstable", "Lungs clear", "1. No pneumothorax", "2. Cardiomegaly"])
        XCTAssertEqual(sentences("No effusion\n\nmild edema"), ["No effusion", "mild edema"])
    }

    func testDeidentificationTokensAndHyphensSplitWords() {
        let report = Report(id: "x", sections: [ReportSection(name: "FINDINGS", text: "No XXXX of pleural effusion. Normal chest x-XXXX.")],
                            source: ReportSource(path: "t"))
        let labels = bundledLabeler.label(report)
        XCTAssertEqual(labels[.effusion], .negative)
        XCTAssertEqual(labels.mentions.first?.sentence, "No XXXX of pleural effusion.")
    }

    func testMentionSpanCountsUnicodeScalars() {
        let report = Report(id: "u", sections: [ReportSection(name: "FINDINGS", text: "Résumé: small left effusion.")],
                            source: ReportSource(path: "t"))
        let mention = bundledLabeler.label(report).mentions[0]
        XCTAssertEqual(mention.text, "effusion")
        XCTAssertEqual(Array(mention.sentence.unicodeScalars)[mention.span].map(String.init).joined(), "effusion")
    }
}
