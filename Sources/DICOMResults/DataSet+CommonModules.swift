import Foundation

/// The modules the structured report and the secondary capture share.
extension DataSet {
    /// The words every result instance carries, in its series description and its text.
    public static let notForClinicalUse = "NOT FOR CLINICAL USE"

    /// Patient (PS3.3 C.7.1.1) and General Study (C.7.2.1), copied from the source so the
    /// result joins its study.
    mutating func setPatientAndStudy(from source: SourceImage) {
        set(ElementTag(0x0010, 0x0010), .personName, source.patientName)
        set(ElementTag(0x0010, 0x0020), .longString, source.patientID)
        set(ElementTag(0x0010, 0x0030), .date, source.patientBirthDate)
        set(ElementTag(0x0010, 0x0040), .codeString, source.patientSex)
        set(ElementTag(0x0020, 0x000D), .uniqueIdentifier, source.studyInstanceUID)
        set(ElementTag(0x0008, 0x0020), .date, source.studyDate)
        set(ElementTag(0x0008, 0x0030), .time, source.studyTime)
        set(ElementTag(0x0008, 0x0090), .personName, source.referringPhysicianName)
        set(ElementTag(0x0020, 0x0010), .shortString, source.studyID)
        set(ElementTag(0x0008, 0x0050), .shortString, source.accessionNumber)
    }

    /// SOP Common (C.12.1), the series identity, General Equipment (C.7.5.1) and the
    /// content date and time, all in UTC (Timezone Offset From UTC "+0000").
    mutating func setInstance(_ instance: ResultInstance, sopClassUID: String, modality: String,
                              seriesDescription: String, algorithm: AlgorithmIdentity) {
        set(ElementTag(0x0008, 0x0016), .uniqueIdentifier, sopClassUID)
        set(ElementTag(0x0008, 0x0018), .uniqueIdentifier, instance.sopInstanceUID)
        let (date, time) = DataSet.dateAndTime(instance.created)
        set(ElementTag(0x0008, 0x0012), .date, date)
        set(ElementTag(0x0008, 0x0013), .time, time)
        set(ElementTag(0x0008, 0x0023), .date, date)
        set(ElementTag(0x0008, 0x0033), .time, time)
        set(ElementTag(0x0008, 0x0201), .shortString, "+0000")
        set(ElementTag(0x0008, 0x0060), .codeString, modality)
        set(ElementTag(0x0020, 0x000E), .uniqueIdentifier, instance.seriesInstanceUID)
        set(ElementTag(0x0020, 0x0011), .integerString, String(instance.seriesNumber))
        set(ElementTag(0x0020, 0x0013), .integerString, String(instance.instanceNumber))
        set(ElementTag(0x0008, 0x103E), .longString, seriesDescription)
        set(ElementTag(0x0008, 0x0070), .longString, algorithm.manufacturer)
        set(ElementTag(0x0008, 0x1090), .longString, algorithm.name)
        set(ElementTag(0x0018, 0x1020), .longString, algorithm.version)
    }

    /// Specific Character Set (0008,0005) "ISO_IR 192" (UTF-8) when any text value is not
    /// ASCII; without it readers assume the default repertoire, which is ASCII.
    mutating func setCharacterSetIfNeeded() {
        if containsNonASCIIText { set(ElementTag(0x0008, 0x0005), .codeString, "ISO_IR 192") }
    }

    var containsNonASCIIText: Bool {
        elements.values.contains { element in
            switch element.value {
            case .strings(let values): return values.contains { !$0.unicodeScalars.allSatisfy(\.isASCII) }
            case .items(let items): return items.contains { $0.containsNonASCIIText }
            default: return false
            }
        }
    }

    /// DA and TM values of `date` in UTC.
    static func dateAndTime(_ date: Date) -> (String, String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return (String(format: "%04d", c.year ?? 0) + two(c.month) + two(c.day), two(c.hour) + two(c.minute) + two(c.second))
    }
}
