import Foundation
import Logging

/// One DICOM instance to send on: its SOP Instance UID (what logs name it by) and its Part 10 bytes.
public struct ForwardedInstance: Sendable, Equatable {
    public var sopInstanceUID: String
    public var bytes: [UInt8]

    public init(sopInstanceUID: String, bytes: [UInt8]) {
        self.sopInstanceUID = sopInstanceUID
        self.bytes = bytes
    }
}

/// How often, and how far apart, a forward is tried.
public struct ForwardingPolicy: Sendable {
    /// Tries in all (at least 1).
    public var attempts: Int
    /// The wait before the second try; each further wait doubles it.
    public var firstDelay: Duration

    public init(attempts: Int = 4, firstDelay: Duration = .seconds(1)) {
        self.attempts = max(1, attempts)
        self.firstDelay = firstDelay
    }
}

/// What became of one forward.
public struct ForwardResult: Sendable, Equatable {
    /// The instances the server took.
    public var stored: [String]
    /// The instances it did not take, after the last try.
    public var failed: [String]
    /// How many requests were made.
    public var attempts: Int

    public init(stored: [String], failed: [String], attempts: Int) {
        self.stored = stored
        self.failed = failed
        self.attempts = attempts
    }
}

/// Sends the results of stored instances (their SR and Secondary Captures) on to a PACS over
/// STOW-RS, off the request that made them: each batch in a task of its own, tried again after a
/// transient failure (no answer, 408, 429, 5xx) up to the policy's number of times with doubling
/// waits. A permanent failure, or the last transient one, is logged naming the SOP Instance
/// UIDs and never a patient; the instances stay in the database either way.
public actor ResultForwarder {
    let client: STOWClient
    let policy: ForwardingPolicy
    let logger: Logger
    var inFlight: [UUID: Task<Void, Never>] = [:]

    public init(client: STOWClient, policy: ForwardingPolicy = ForwardingPolicy(), logger: Logger) {
        self.client = client
        self.policy = policy
        self.logger = logger
    }

    /// Starts forwarding `instances` in a task of its own and returns at once; `drain()` waits for it.
    public func submit(_ instances: [ForwardedInstance]) {
        guard !instances.isEmpty else { return }
        let id = UUID()
        inFlight[id] = Task {
            _ = await self.forward(instances)
            self.finished(id)
        }
    }

    func finished(_ id: UUID) { inFlight[id] = nil }

    /// Waits until every submitted forward has finished (stored or given up): at shutdown, and in tests.
    public func drain() async {
        while let task = inFlight.values.first {
            await task.value
        }
    }

    /// Forwards `instances` in one STOW-RS request, tried again as the policy allows.
    /// - Returns: which instances the server took and which it did not.
    public func forward(_ instances: [ForwardedInstance]) async -> ForwardResult {
        let uids = instances.map(\.sopInstanceUID)
        var delay = policy.firstDelay
        for attempt in 1...policy.attempts {
            do {
                let outcome = try await client.store(instances.map(\.bytes))
                let failed = uids.filter(outcome.failedSOPInstanceUIDs.contains)
                for uid in failed {
                    logger.warning("result not taken by the PACS", metadata: ["sop": "\(uid)", "status": "\(outcome.status)"])
                }
                logger.info("results forwarded", metadata: ["instances": "\(uids.count - failed.count)", "attempt": "\(attempt)"])
                return ForwardResult(stored: uids.filter { !failed.contains($0) }, failed: failed, attempts: attempt)
            } catch {
                let transient = (error as? DICOMwebClientError)?.isTransient ?? false
                guard transient, attempt < policy.attempts else {
                    for uid in uids {
                        logger.error("result not forwarded", metadata: [
                            "sop": "\(uid)", "attempts": "\(attempt)", "error": "\(error)",
                        ])
                    }
                    return ForwardResult(stored: [], failed: uids, attempts: attempt)
                }
                logger.notice("forward failed, trying again", metadata: [
                    "instances": "\(uids.joined(separator: ","))", "attempt": "\(attempt)", "error": "\(error)",
                ])
                try? await Task.sleep(for: delay)
                delay *= 2
            }
        }
        return ForwardResult(stored: [], failed: uids, attempts: policy.attempts)
    }
}
