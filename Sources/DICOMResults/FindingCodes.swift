/// The coded concept for a finding, looked up by the classifier's class name.
///
/// Where PS3.16 itself codes a ChestX-ray14 finding (in the chest CAD context groups
/// CID 6102–6105 or elsewhere in its tables), that code is used. The remaining findings —
/// atelectasis as a whole (PS3.16 codes only plate-like atelectasis), pneumonia,
/// consolidation, emphysema, pleural thickening and hernia — and any class name not in the
/// table get a code in the private scheme `99THORAX` (PS3.16 8.2: designators beginning
/// "99" are private), whose value is the name in capitals: a reader sees the exact class,
/// and nothing claims a SNOMED CT meaning that was not checked against the standard.
public enum FindingCodes {
    /// The private coding scheme designator for findings PS3.16 does not code.
    public static let localScheme = "99THORAX"

    static let standard: [String: CodedConcept] = [
        "Cardiomegaly": CodedConcept("287272002", "SCT", "Cardiomegaly"),          // CID 12248
        "Effusion": CodedConcept("60046008", "SCT", "Pleural effusion"),           // CID 645
        "Infiltration": CodedConcept("112121", "DCM", "Infiltrate"),               // CID 6104
        "Mass": CodedConcept("4147007", "SCT", "Mass"),                            // CID 6104
        "Nodule": CodedConcept("27925004", "SCT", "Nodule"),                       // CID 6104
        "Pneumothorax": CodedConcept("36118008", "SCT", "Pneumothorax"),           // CID 6105
        "Edema": CodedConcept("19242006", "SCT", "Pulmonary edema"),               // CID 3700
        "Fibrosis": CodedConcept("112674009", "SCT", "Fibrosis"),                  // CID 6335
    ]

    /// The finding's code: PS3.16's where it has one, else the private scheme's.
    public static func concept(forClassName name: String) -> CodedConcept {
        if let code = standard[name] { return code }
        let value = String(name.uppercased().unicodeScalars.filter { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
            .map(Character.init))
        let meaning = name.replacingOccurrences(of: "_", with: " ")
        return CodedConcept(value.isEmpty ? "UNNAMED" : value, localScheme, meaning)
    }
}
