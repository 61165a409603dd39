/// One token of a report: a word, a number or a punctuation mark, as a byte range of its section.
struct Token: Sendable {
    /// Byte offsets into the section's UTF-8 text.
    var start: Int32
    var end: Int32
    /// The word's id in the lexicon's word table; `Lexicon.unknownWord` for words no phrase uses.
    var word: Int32
    var isPunctuation: Bool
}

/// A sentence: a range of tokens and the byte range of its text.
struct Sentence: Sendable {
    var tokens: Range<Int>
    var bytes: Range<Int>
}

/// Splits a section's text into sentences and tokens, robust to real reports.
///
/// Why bytes and not `String`: the labeller must read tens of thousands of reports per second,
/// so it walks the UTF-8 bytes once, lower-casing ASCII letters into a scratch buffer.
/// Rules (each follows radiology text as written, not one corpus):
/// - `.`, `!`, `?` end a sentence unless they sit inside a number ("1.5 cm") or follow a known
///   abbreviation ("Dr.", "vs.", "e.g.", "approx.");
/// - a blank line, or a line break before a list marker ("1.", "2)", "-") or a capital letter,
///   ends a sentence (reports often omit the period at a line's end); a line break before a
///   lower-case word is a wrapped line and does not;
/// - words are runs of letters (non-ASCII bytes count as letters); hyphens and apostrophes split
///   words ("x-XXXX" → "x", "xxxx"); digits form number tokens; `, ; : ( ) / ?` are punctuation
///   tokens that phrases may use and gaps never cross.
struct Tokenizer: Sendable {
    let lexicon: Lexicon

    /// Tokenizes `text` (UTF-8) into `tokens` and `sentences`, which are cleared first.
    /// `lowered` receives the lower-cased bytes (same length as `text`).
    func tokenize(_ text: UnsafeBufferPointer<UInt8>, lowered: inout [UInt8],
                  tokens: inout [Token], sentences: inout [Sentence]) {
        tokens.removeAll(keepingCapacity: true)
        sentences.removeAll(keepingCapacity: true)
        lowered.removeAll(keepingCapacity: true)
        lowered.reserveCapacity(text.count)
        for b in text { lowered.append(b >= 65 && b <= 90 ? b | 0x20 : b) }
        lowered.withUnsafeBufferPointer { low in
            scan(low, original: text, tokens: &tokens, sentences: &sentences)
        }
    }

    @inline(__always)
    private static func isLetter(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || b >= 0x80 }
    @inline(__always)
    private static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
    @inline(__always)
    private static func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 || b == 12 }

    private func scan(_ low: UnsafeBufferPointer<UInt8>, original: UnsafeBufferPointer<UInt8>, tokens: inout [Token], sentences: inout [Sentence]) {
        let n = low.count
        var i = 0
        var sentenceTokenStart = 0
        var sentenceByteStart = -1
        var lastTokenEnd = 0

        func closeSentence(at byteEnd: Int) {
            if tokens.count > sentenceTokenStart, sentenceByteStart >= 0 {
                sentences.append(Sentence(tokens: sentenceTokenStart..<tokens.count,
                                          bytes: sentenceByteStart..<byteEnd))
            }
            sentenceTokenStart = tokens.count
            sentenceByteStart = -1
        }
        func add(_ start: Int, _ end: Int, _ word: Int32, punctuation: Bool) {
            if sentenceByteStart < 0 { sentenceByteStart = start }
            tokens.append(Token(start: Int32(start), end: Int32(end), word: word, isPunctuation: punctuation))
            lastTokenEnd = end
        }

        while i < n {
            let b = low[i]
            if Self.isLetter(b) {
                let start = i
                while i < n, Self.isLetter(low[i]) { i += 1 }
                add(start, i, lexicon.words.lookup(low, start..<i) ?? Lexicon.unknownWord, punctuation: false)
            } else if Self.isDigit(b) {
                let start = i
                while i < n, Self.isDigit(low[i]) || (low[i] == 46 && i + 1 < n && Self.isDigit(low[i + 1])) { i += 1 }
                add(start, i, Lexicon.numberWord, punctuation: false)
            } else if b == 46 || b == 33 || b == 63 { // . ! ?
                let endsSentence: Bool
                if b == 46 {
                    let next = i + 1 < n ? low[i + 1] : 32
                    endsSentence = (Self.isSpace(next) || next == 34 || next == 41 || next == 46)
                        && !followsAbbreviation(low, tokens: tokens, dotAt: i, sentenceTokenStart: sentenceTokenStart)
                } else {
                    // "?" stays as a token (an uncertainty trigger: "pneumonia?") before the end.
                    if b == 63 { add(i, i + 1, Lexicon.punctuationWord(b)!, punctuation: true) }
                    endsSentence = true
                }
                i += 1
                if endsSentence { closeSentence(at: i) }
            } else if b == 10 || b == 13 {
                // A blank line or a list marker on the next line ends the sentence.
                var j = i
                var newlines = 0
                while j < n, Self.isSpace(low[j]) { if low[j] == 10 { newlines += 1 }; j += 1 }
                if newlines >= 2 || (j < n && (startsListItem(low, at: j) || (original[j] >= 65 && original[j] <= 90))) { closeSentence(at: lastTokenEnd) }
                i = j
            } else if let punctuation = Lexicon.punctuationWord(b) {
                add(i, i + 1, punctuation, punctuation: true)
                i += 1
            } else {
                i += 1
            }
        }
        closeSentence(at: lastTokenEnd)
    }

    /// True when the dot at `dotAt` ends an abbreviation such as "dr." or "e.g.".
    private func followsAbbreviation(_ low: UnsafeBufferPointer<UInt8>, tokens: [Token], dotAt: Int,
                                     sentenceTokenStart: Int) -> Bool {
        guard let last = tokens.last, tokens.count > sentenceTokenStart, Int(last.end) == dotAt,
              !last.isPunctuation else { return false }
        // A list marker: "1." as the first token of a sentence.
        if last.word == Lexicon.numberWord, tokens.count == sentenceTokenStart + 1 { return true }
        let length = Int(last.end - last.start)
        if length == 1, Self.isLetter(low[Int(last.start)]),
           Int(last.start) >= 1, low[Int(last.start) - 1] == 46 { return true } // "e.g." "i.e."
        return last.word >= 0 && lexicon.abbreviations.contains(last.word)
    }

    /// True when a list item ("1.", "2)", "- ", "* ") starts at `j`.
    private func startsListItem(_ low: UnsafeBufferPointer<UInt8>, at j: Int) -> Bool {
        let b = low[j]
        if b == 45 || b == 42 { return j + 1 < low.count && Self.isSpace(low[j + 1]) }
        var k = j
        while k < low.count, Self.isDigit(low[k]) { k += 1 }
        return k > j && k < low.count && (low[k] == 46 || low[k] == 41)
    }
}
