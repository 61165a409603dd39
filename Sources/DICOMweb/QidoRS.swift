import HTTPTypes
import Hummingbird
import Service
import Store

extension DICOMwebRoutes {
    /// QIDO-RS studies (PS3.18 10.6): the studies holding stored instances that match, as a
    /// DICOM JSON array of the study's returned attributes (Table 10.6.3-3); 204 when none.
    func searchStudies(_ request: Request) throws -> Response {
        let search = try searchRequest(request, level: .study)
        let base = baseURL(request)
        let matches = try database.searchDICOMStudies(page(search))
        return try searchResponse(matches.map { study in
            var dataSet = DICOMJSONDataSet()
            dataSet.set(Tags.studyDate, "DA", study.study.date)
            dataSet.set(Tags.studyTime, "TM", study.study.time)
            dataSet.set(Tags.accessionNumber, "SH", study.study.accessionNumber)
            dataSet.set(Tags.instanceAvailability, "CS", "ONLINE")
            dataSet.set(Tags.modalitiesInStudy, "CS", study.modalities)
            dataSet.setPersonName(Tags.referringPhysicianName, study.study.referringPhysician)
            dataSet.set(Tags.retrieveURL, "UR", "\(base)/studies/\(study.study.uid)")
            dataSet.setPersonName(Tags.patientName, study.patient.name)
            dataSet.set(Tags.patientID, "LO", study.patient.identifier)
            dataSet.set(Tags.patientBirthDate, "DA", study.patient.birthDate)
            dataSet.set(Tags.patientSex, "CS", study.patient.sex)
            dataSet.set(Tags.studyInstanceUID, "UI", study.study.uid)
            dataSet.set(Tags.studyID, "SH", study.study.studyID)
            dataSet.set(Tags.numberOfStudyRelatedSeries, "IS", integer: study.seriesCount)
            dataSet.set(Tags.numberOfStudyRelatedInstances, "IS", integer: study.instanceCount)
            if search.includes(Tags.studyDescription) {
                dataSet.set(Tags.studyDescription, "LO", study.study.description)
            }
            try addIncludedFields(&dataSet, search, level: .study) { try firstSource(study: study.study.uid) }
            return dataSet
        }, search: search)
    }

    /// QIDO-RS series of a study: the series' returned attributes (Table 10.6.3-4).
    func searchSeries(_ request: Request, study: String) throws -> Response {
        var search = try searchRequest(request, level: .series)
        search.query.conditions.append(.init(.studyInstanceUID, .anyOf([study])))
        let base = baseURL(request)
        let matches = try database.searchDICOMSeries(page(search))
        return try searchResponse(matches.map { series in
            var dataSet = DICOMJSONDataSet()
            dataSet.set(Tags.modality, "CS", series.series.modality)
            dataSet.set(Tags.seriesDescription, "LO", series.series.description)
            dataSet.set(Tags.retrieveURL, "UR", "\(base)/studies/\(series.studyUID)/series/\(series.series.uid)")
            dataSet.set(Tags.instanceAvailability, "CS", "ONLINE")
            dataSet.set(Tags.studyInstanceUID, "UI", series.studyUID)
            dataSet.set(Tags.seriesInstanceUID, "UI", series.series.uid)
            dataSet.set(Tags.seriesNumber, "IS", integer: series.series.number)
            dataSet.set(Tags.numberOfSeriesRelatedInstances, "IS", integer: series.instanceCount)
            try addIncludedFields(&dataSet, search, level: .series) { try firstSource(study: series.studyUID, series: series.series.uid) }
            return dataSet
        }, search: search)
    }

    /// QIDO-RS instances of a study or series: the instances' returned attributes (Table 10.6.3-5).
    func searchInstances(_ request: Request, study: String, series: String?) throws -> Response {
        var search = try searchRequest(request, level: .instance)
        search.query.conditions.append(.init(.studyInstanceUID, .anyOf([study])))
        if let series { search.query.conditions.append(.init(.seriesInstanceUID, .anyOf([series]))) }
        let base = baseURL(request)
        let matches = try database.searchDICOMInstances(page(search))
        return try searchResponse(matches.map { instance in
            var dataSet = DICOMJSONDataSet()
            dataSet.set(Tags.sopClassUID, "UI", instance.sopClassUID)
            dataSet.set(Tags.sopInstanceUID, "UI", instance.sopInstanceUID)
            dataSet.set(Tags.instanceAvailability, "CS", "ONLINE")
            dataSet.set(Tags.retrieveURL, "UR", "\(base)/studies/\(instance.studyUID)/series/\(instance.seriesUID)"
                + "/instances/\(instance.sopInstanceUID)")
            dataSet.set(Tags.studyInstanceUID, "UI", instance.studyUID)
            dataSet.set(Tags.seriesInstanceUID, "UI", instance.seriesUID)
            dataSet.set(Tags.instanceNumber, "IS", integer: instance.instanceNumber)
            dataSet.set(Tags.rows, "US", integer: instance.rows)
            dataSet.set(Tags.columns, "US", integer: instance.columns)
            dataSet.set(Tags.bitsAllocated, "US", integer: instance.bitsAllocated)
            dataSet.set(Tags.numberOfFrames, "IS", integer: instance.frames)
            try addIncludedFields(&dataSet, search, level: .instance) { try database.storedDICOMInstance(uid: instance.sopInstanceUID) }
            return dataSet
        }, search: search)
    }

    /// The request's query, after checking that it accepts DICOM JSON (406 otherwise).
    func searchRequest(_ request: Request, level: SearchRequest.Level) throws -> SearchRequest {
        try Self.requireJSON(AcceptHeader(request.headers[.accept]))
        let parameters = request.uri.queryParameters.map { (key: $0.key, value: $0.value) }
        return try SearchRequest(parameters, level: level, maximum: options.maximumSearchResults)
    }

    /// The query with one match more than the page, to tell whether more matched.
    func page(_ search: SearchRequest) -> DICOMQuery {
        var query = search.query
        query.limit = search.limit + 1
        return query
    }

    /// 200 with the page of matches (and a warning when the service's maximum cut them), or 204.
    func searchResponse(_ matches: [DICOMJSONDataSet], search: SearchRequest) throws -> Response {
        var warnings = search.warnings
        var page = matches
        if page.count > search.limit {
            page.removeLast(page.count - search.limit)
            if search.limitIsMaximum {
                warnings.append("The number of results exceeded the maximum supported by the server. Additional results can be requested.")
            }
        }
        var headers = HTTPFields()
        for warning in warnings {
            headers.append(HTTPField(name: HTTPField.Name("Warning")!, value: "299 thorax: \"\(warning.replacingOccurrences(of: "\"", with: "'"))\""))
        }
        guard !page.isEmpty else { return Response(status: .noContent, headers: headers) }
        return Self.response(contentType: DICOMJSON.mediaType, body: try DICOMJSON.encode(page), headers: headers)
    }

    /// 406 unless the Accept header takes application/dicom+json (or JSON, or anything).
    static func requireJSON(_ accept: AcceptHeader) throws(ServiceError) {
        guard accept.acceptsAnything || accept.ranges.contains(where: {
            $0.covers("application", "dicom+json") || $0.covers("application", "json")
        }) else {
            throw ServiceError(.notAcceptable, "this resource is sent as application/dicom+json, which the Accept header does not take")
        }
    }
}

extension SearchRequest {
    /// Whether `includefield` asked for `tag` (or for all).
    func includes(_ tag: UInt32) -> Bool { includeAll || includeFields.contains(tag) }
}
