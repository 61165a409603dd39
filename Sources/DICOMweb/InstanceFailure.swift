/// Why one instance of a store request was not stored: its Failure Reason (0008,1197) and, for
/// the log, a sentence that names no patient (PS3.18 Table I.2-2).
struct InstanceFailure: Error, Sendable {
    enum Reason: UInt16, Sendable {
        /// A7xx: a file could not be written.
        case outOfResources = 0xA700
        /// A9xx: a required attribute is missing or invalid, or the instance conflicts with
        /// what is stored (another study's UID in a study's store, a study under another patient).
        case dataSetDoesNotMatchSOPClass = 0xA900
        /// Cxxx: not a DICOM Part 10 file, or one whose data set or pixel data cannot be read.
        case cannotUnderstand = 0xC000
        /// C122: pixel data in a transfer syntax the decoder does not read.
        case transferSyntaxNotSupported = 0xC122
        /// 0110: the prediction or the results failed.
        case processingFailure = 0x0110
        /// 0111 (PS3.7 C.4 "Duplicate SOP Instance"): another object is stored under its UID.
        case duplicateSOPInstance = 0x0111
        /// 0122: an object without pixel data that is no SR document (a presentation state,
        /// an encapsulated document): the service stores images, which it predicts, and reports.
        case sopClassNotSupported = 0x0122
    }

    var reason: Reason
    var message: String

    init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }
}

/// What became of one instance of a store request.
struct InstanceOutcome: Sendable {
    var sopClassUID: String?
    var sopInstanceUID: String?
    var studyUID: String?
    var seriesUID: String?
    /// nil when it is stored.
    var failure: InstanceFailure?
    /// Results made for it (0 when it was stored before).
    var results = 0
}
