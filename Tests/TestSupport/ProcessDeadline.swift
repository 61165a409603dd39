import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Process {
    /// Starts the process and waits for it to exit, at most `timeout` seconds: past that it is
    /// sent SIGTERM, then SIGKILL after 5 s more. A test of a launcher (mpirun, a server) must
    /// end with a failure, never hang the suite.
    /// - Returns: true when the process was stopped for running past `timeout`.
    /// - Throws: what `run()` throws when the process cannot start.
    public func runUntilExit(timeout: TimeInterval) throws -> Bool {
        let start = Date()
        try run()
        var timedOut = false
        while isRunning {
            if Date().timeIntervalSince(start) > timeout {
                timedOut = true
                terminate()
                let grace = Date()
                while isRunning && Date().timeIntervalSince(grace) < 5 { usleep(50_000) }
                if isRunning { kill(processIdentifier, SIGKILL) }
                break
            }
            usleep(20_000)
        }
        waitUntilExit()
        return timedOut
    }
}
