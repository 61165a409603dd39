import DICOMResults
import DICOMwebClient
import Dispatch
import Evaluation
import Foundation
import Imaging
import Store

extension DICOMwebRoutes {
    /// Stores one instance of a store request, alone: parse it (C000; an object without
    /// pixel data goes to `storeDocument`: an SR report is filed, anything else gets 0122), check its identity — SOP Class, SOP Instance, Study and Series UIDs
    /// and Patient ID, the study of the request's path (A900) — decode its image (C122 for a
    /// transfer syntax the decoder lacks, C000), predict it and make its results (0110), write
    /// every file under a temporary name (A700), then file them all in one transaction that
    /// moves the files into place (A900 for a study or series filed elsewhere). Whatever fails
    /// leaves no row and no file behind. An instance stored before with the same bytes is a
    /// success that changes nothing (and sends nothing on); other bytes under a stored UID are
    /// refused (0111), also when a concurrent request filed the UID after this one's check. The
    /// response and the log repeat only values that are valid UIDs: anything else in a UID
    /// attribute may be any text, a name among them.
    func storeInstance(_ bytes: [UInt8], part: Int, study: String?) async -> InstanceOutcome {
        var outcome = InstanceOutcome()
        do {
            let data = Data(bytes)
            let file: DICOMFile
            do {
                file = try DICOMFile(data, name: "part \(part)")
            } catch let error as ImagingError {
                guard let read = Self.withoutPixelData(data, part: part) else {
                    throw InstanceFailure(.cannotUnderstand, error.reason)
                }
                try storeDocument(data, read: read, part: part, study: study, outcome: &outcome)
                return outcome
            }
            let metadata = file.metadata
            func valid(_ uid: String?) -> String? { uid.flatMap { DICOMUID.problem(with: $0) == nil ? $0 : nil } }
            outcome.sopClassUID = valid(metadata.sopClassUID)
            outcome.sopInstanceUID = valid(metadata.sopInstanceUID)
            outcome.studyUID = valid(metadata.studyInstanceUID)
            outcome.seriesUID = valid(metadata.seriesInstanceUID)
            let identity = try InstanceIdentity(metadata, requestStudy: study)
            let hash = contentHash(of: data)
            if let stored = try database.storedDICOMInstance(uid: identity.sopInstanceUID) {
                guard stored.contentHash == hash else {
                    throw InstanceFailure(.duplicateSOPInstance, "another object is stored under this SOP Instance UID")
                }
                logger.info("instance stored before, unchanged", metadata: ["sop": "\(identity.sopInstanceUID)"])
                return outcome
            }
            guard DICOMTransferSyntax.decoded.contains(metadata.transferSyntaxUID) else {
                throw InstanceFailure(.transferSyntaxNotSupported,
                                      "pixel data in \(DICOMTransferSyntax.describe(metadata.transferSyntaxUID)) cannot be decoded")
            }
            let image: GrayscaleImage
            do {
                image = try file.image()
            } catch let error as ImagingError {
                throw InstanceFailure(.cannotUnderstand, error.reason)
            }
            let results: [EncodedResult]
            let prediction: Prediction
            do {
                prediction = try await predictor.predict(image)
                let maker = ResultInstances(
                    source: SourceImage(metadata, sopClassUID: identity.sopClassUID, sopInstanceUID: identity.sopInstanceUID,
                                        studyUID: identity.studyUID, seriesUID: identity.seriesUID),
                    algorithm: predictor.algorithm, reportSeriesNumber: options.reportSeriesNumber,
                    figureSeriesNumber: options.figureSeriesNumber)
                results = try await Self.offCooperativeThreads { try maker.make(image: image, prediction: prediction) }
            } catch {
                throw InstanceFailure(.processingFailure, "prediction or results failed: \(Self.describe(error))")
            }
            guard try fileInstance(data, hash: hash, metadata: metadata, identity: identity, results: results) else {
                logger.info("instance stored meanwhile by another request, unchanged", metadata: ["sop": "\(identity.sopInstanceUID)"])
                return outcome
            }
            recordProbabilities(prediction, sopInstanceUID: identity.sopInstanceUID)
            outcome.results = results.count
            logger.info("instance stored", metadata: ["sop": "\(identity.sopInstanceUID)", "results": "\(results.count)"])
            // Only results just filed go on: they carry the source's identifiers as received and nothing else.
            await forwarder?.submit(results.map { ForwardedInstance(sopInstanceUID: $0.sopInstanceUID, bytes: [UInt8]($0.bytes)) })
        } catch let failure as InstanceFailure {
            outcome.failure = failure
            logger.warning("instance not stored", metadata: [
                "part": "\(part)", "sop": "\(outcome.sopInstanceUID ?? "unknown")",
                "reason": "\(String(failure.reason.rawValue, radix: 16, uppercase: true))", "detail": "\(failure.message)",
            ])
        } catch {
            outcome.failure = InstanceFailure(.processingFailure, "\(error)")
            logger.error("instance not stored", metadata: [
                "part": "\(part)", "sop": "\(outcome.sopInstanceUID ?? "unknown")", "error": "\(type(of: error))",
            ])
        }
        return outcome
    }

    /// Writes the instance and its results under temporary names, then files them in one
    /// transaction that moves the files into place; on any failure removes every file it wrote.
    /// Returns false, having filed nothing, when a concurrent store of the same bytes filed the
    /// instance first (a success that changes nothing); throws 0111 when it filed other bytes
    /// under the UID.
    func fileInstance(_ data: Data, hash: String, metadata: DICOMMetadata, identity: InstanceIdentity,
              results: [EncodedResult]) throws -> Bool {
        let source = try identity.record(metadata, path: files.url(for: identity.sopInstanceUID).path,
                                         fileSize: data.count, contentHash: hash)
        let image = ImageRecord(
            name: identity.sopInstanceUID, patient: identity.patientID, study: identity.studyUID,
            age: metadata.patientAge.flatMap(ImageRecord.years(fromAgeString:)),
            sex: metadata.patientSex.flatMap { ["M", "F", "O"].contains($0) ? $0 : nil }, view: metadata.viewPosition,
            pixelSpacingX: metadata.pixelSpacing?.column, pixelSpacingY: metadata.pixelSpacing?.row,
            file: ImageFile(path: source.path, size: data.count, width: metadata.columns, height: metadata.rows, contentHash: hash))
        let resultRecords = try results.map { result in
            var record = source
            record.series = .init(uid: result.seriesUID, modality: result.modality, number: result.seriesNumber,
                                  description: result.seriesDescription)
            record.sopInstanceUID = result.sopInstanceUID
            record.sopClassUID = result.sopClassUID
            record.instanceNumber = result.instanceNumber
            record.transferSyntax = Part10Writer.explicitVRLittleEndian
            record.rows = result.rows
            record.columns = result.columns
            record.frames = result.rows == nil ? nil : 1
            record.bitsAllocated = result.rows == nil ? nil : 8
            record.path = try files.url(for: result.sopInstanceUID).path
            record.fileSize = result.bytes.count
            record.contentHash = contentHash(of: result.bytes)
            return record
        }
        var temporaries: [(url: URL, uid: String)] = []
        var placed: [URL] = []
        do {
            do {
                temporaries.append((try files.writeTemporary(data, for: identity.sopInstanceUID), identity.sopInstanceUID))
                for result in results {
                    temporaries.append((try files.writeTemporary(result.bytes, for: result.sopInstanceUID), result.sopInstanceUID))
                }
            } catch let failure as InstanceFailure {
                throw failure
            } catch {
                throw InstanceFailure(.outOfResources, "the instance's files could not be written: \(error.localizedDescription)")
            }
            try database.fileDICOMInstances(source: source, image: image, results: resultRecords) {
                for temporary in temporaries { placed.append(try files.moveIntoPlace(temporary.url, uid: temporary.uid)) }
            }
            return true
        } catch {
            for temporary in temporaries { files.remove(temporary.url) }
            for url in placed { files.remove(url) }
            switch error {
            case let failure as InstanceFailure: throw failure
            case let conflict as DICOMFilingConflict where conflict.storedInstanceUID == identity.sopInstanceUID:
                // Another request stored this UID between this one's check and its filing.
                guard try database.storedDICOMInstance(uid: identity.sopInstanceUID)?.contentHash == hash else {
                    throw InstanceFailure(.duplicateSOPInstance, "another object is stored under this SOP Instance UID")
                }
                return false
            case let conflict as DICOMFilingConflict: throw InstanceFailure(.dataSetDoesNotMatchSOPClass, conflict.reason)
            default: throw InstanceFailure(.processingFailure, "the instance could not be filed: \(type(of: error))")
            }
        }
    }
}

extension DICOMwebRoutes {
    /// The elements of a Part 10 file without Pixel Data (a report, a presentation state);
    /// nil for anything else, which is then not understood (C000).
    static func withoutPixelData(_ data: Data, part: Int) -> DICOMDataElements? {
        guard let read = try? DICOMFile.dataElements(data, name: "part \(part)"),
              !read.elements.contains(where: { $0.group == 0x7FE0 && $0.element == 0x0010 }) else { return nil }
        return read
    }

    /// Runs CPU-bound `work` on a global dispatch queue: the figures of a film take a second or
    /// more of a thread, which Swift's few cooperative threads (one per core) should not lend.
    static func offCooperativeThreads<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// An error for the log: a writer's error names only its element, since its reason may
    /// quote a value (a name) the instance carried.
    static func describe(_ error: any Error) -> String {
        if let error = error as? DICOMWriteError { return "DICOM writer: element \(error.element)" }
        return "\(error)"
    }
}

/// The identifiers every stored instance must have, checked: UIDs valid (PS3.5 9.1), a
/// Patient ID to file it under, and the study of a study's store request.
struct InstanceIdentity {
    var sopClassUID: String
    var sopInstanceUID: String
    var studyUID: String
    var seriesUID: String
    var patientID: String

    /// - Throws: `InstanceFailure` A900 naming the attribute that is missing or invalid, or
    ///   the mismatch with `requestStudy`.
    init(_ metadata: DICOMMetadata, requestStudy: String?) throws {
        try self.init(sopClassUID: metadata.sopClassUID, sopInstanceUID: metadata.sopInstanceUID,
                      studyUID: metadata.studyInstanceUID, seriesUID: metadata.seriesInstanceUID,
                      patientID: metadata.patientID, requestStudy: requestStudy)
    }

    /// The identifiers as read (nil where absent), checked as `init(_:requestStudy:)` says.
    init(sopClassUID: String?, sopInstanceUID: String?, studyUID: String?, seriesUID: String?, patientID: String?,
         requestStudy: String?) throws {
        func uid(_ value: String?, _ name: String) throws -> String {
            guard let value else { throw InstanceFailure(.dataSetDoesNotMatchSOPClass, "no \(name)") }
            // The value is not repeated: in a malformed file it may be any text.
            guard DICOMUID.problem(with: value) == nil else {
                throw InstanceFailure(.dataSetDoesNotMatchSOPClass, "\(name) is not a valid UID (PS3.5 9.1)")
            }
            return value
        }
        self.sopClassUID = try uid(sopClassUID, "SOP Class UID (0008,0016)")
        self.sopInstanceUID = try uid(sopInstanceUID, "SOP Instance UID (0008,0018)")
        self.studyUID = try uid(studyUID, "Study Instance UID (0020,000D)")
        self.seriesUID = try uid(seriesUID, "Series Instance UID (0020,000E)")
        guard let patientID else {
            throw InstanceFailure(.dataSetDoesNotMatchSOPClass, "no Patient ID (0010,0020): instances are filed by patient")
        }
        self.patientID = patientID
        if let requestStudy, requestStudy != self.studyUID {
            throw InstanceFailure(.dataSetDoesNotMatchSOPClass,
                                  "its Study Instance UID \(self.studyUID) is not the study of the request, \(requestStudy)")
        }
    }

    /// The database record of the instance with its file.
    func record(_ metadata: DICOMMetadata, path: String, fileSize: Int, contentHash: String) -> DICOMInstanceRecord {
        DICOMInstanceRecord(
            patient: .init(identifier: patientID, name: metadata.patientName, birthDate: metadata.patientBirthDate,
                           sex: metadata.patientSex),
            study: .init(uid: studyUID, date: metadata.studyDate, time: metadata.studyTime, accessionNumber: metadata.accessionNumber,
                         studyID: metadata.studyID, referringPhysician: metadata.referringPhysicianName,
                         description: metadata.studyDescription),
            series: .init(uid: seriesUID, modality: metadata.modality, number: metadata.seriesNumber,
                          description: metadata.seriesDescription),
            sopInstanceUID: sopInstanceUID, sopClassUID: sopClassUID, instanceNumber: metadata.instanceNumber,
            transferSyntax: metadata.transferSyntaxUID, rows: metadata.rows, columns: metadata.columns,
            frames: metadata.numberOfFrames, bitsAllocated: metadata.bitsAllocated,
            path: path, fileSize: fileSize, contentHash: contentHash)
    }
}
