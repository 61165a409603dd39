extension MeasurementReport {
    /// TID 1501: one class's probability and its present/absent evaluation.
    func findingGroup(_ finding: FindingResult) -> ContentItem {
        let code = FindingCodes.concept(forClassName: finding.className)
        var children = identification(trackingIdentifier: finding.className, finding: code, threshold: finding.threshold)
        children.append(ContentItem(.contains, Codes.certaintyOfFinding, .number(finding.probability, unit: Codes.noUnits)))
        children.append(ContentItem(.contains, code, .code(finding.present ? Codes.present : Codes.absent)))
        children.append(ContentItem(.contains, Codes.sourceOfMeasurement, sourceReference))
        return ContentItem(.contains, Codes.measurementGroup, .container(continuous: false, template: "1501"),
                           children: children)
    }

    /// TID 1410: one box of a present finding, a closed polyline on the source image.
    func regionGroup(_ finding: FindingResult, box: PixelBox, number: Int) -> ContentItem {
        let code = FindingCodes.concept(forClassName: finding.className)
        var children = identification(trackingIdentifier: "\(finding.className) region \(number)", finding: code,
                                      threshold: finding.threshold)
        let corners: [(x: Float, y: Float)] = [
            (Float(box.x0), Float(box.y0)), (Float(box.x1), Float(box.y0)), (Float(box.x1), Float(box.y1)),
            (Float(box.x0), Float(box.y1)), (Float(box.x0), Float(box.y0)),
        ]
        children.append(ContentItem(.contains, Codes.imageRegion, .spatialCoordinates(graphicType: "POLYLINE", points: corners),
                                    children: [ContentItem(.selectedFrom, Codes.source, sourceReference)]))
        return ContentItem(.contains, Codes.measurementGroup, .container(continuous: false, template: "1410"),
                           children: children)
    }

    /// The rows every group starts with: tracking identifier and UID, the finding, and the
    /// algorithm (TID 4019) with its threshold as its parameter.
    func identification(trackingIdentifier: String, finding: CodedConcept, threshold: Double) -> [ContentItem] {
        [
            ContentItem(.hasObservationContext, Codes.trackingIdentifier, .text(trackingIdentifier)),
            ContentItem(.hasObservationContext, Codes.trackingUniqueIdentifier, .uidReference(DICOMUID.make())),
            ContentItem(.contains, Codes.finding, .code(finding)),
            ContentItem(.hasConceptModifier, Codes.algorithmName, .text(algorithm.name)),
            ContentItem(.hasConceptModifier, Codes.algorithmVersion, .text(algorithm.version)),
            ContentItem(.hasConceptModifier, Codes.algorithmParameters,
                        .text("decision threshold \(ContentItem.decimalString(threshold))")),
        ]
    }

    /// Throws `ResultInputError` naming the first input out of range.
    func validate() throws {
        guard !findings.isEmpty else { throw ResultInputError("a measurement report needs at least one finding") }
        guard source.rows > 0, source.columns > 0 else {
            throw ResultInputError("the source image has \(source.rows) rows and \(source.columns) columns")
        }
        var names = Set<String>()
        for finding in findings {
            let name = finding.className
            guard !name.isEmpty else { throw ResultInputError("a finding has an empty class name") }
            guard names.insert(name).inserted else { throw ResultInputError("class \(name) is given twice") }
            guard finding.probability.isFinite, (0...1).contains(finding.probability) else {
                throw ResultInputError("class \(name): probability \(finding.probability) is outside [0, 1]")
            }
            guard finding.threshold.isFinite, (0...1).contains(finding.threshold) else {
                throw ResultInputError("class \(name): threshold \(finding.threshold) is outside [0, 1]")
            }
            guard finding.present || finding.boxes.isEmpty else {
                throw ResultInputError("class \(name): \(finding.boxes.count) boxes given for a finding that is absent")
            }
            for box in finding.boxes {
                let inside = box.x0 >= 0 && box.y0 >= 0 && box.x1 <= Double(source.columns) && box.y1 <= Double(source.rows)
                guard box.x0 < box.x1, box.y0 < box.y1, inside else {
                    throw ResultInputError("class \(name): box (\(box.x0), \(box.y0))–(\(box.x1), \(box.y1)) is empty or "
                        + "outside the \(source.columns)×\(source.rows) source image")
                }
            }
        }
    }
}
