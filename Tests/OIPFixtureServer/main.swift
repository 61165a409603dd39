// Serves the fake model (ServiceFixtures) over the Open Inference Protocol on 127.0.0.1, for the
// end-to-end check with the real tritonclient (ServiceTests.TritonClientTests).
//
//     OIPFixtureServer [--port P] [--token T]     (port 0, the default: an ephemeral port)
//
// Prints "listening on 127.0.0.1:<port>" once the socket is bound, then serves until SIGTERM or
// SIGINT, on which it finishes the requests in flight and exits 0 (swift-service-lifecycle).
import Foundation
import Logging
import Service
import ServiceFixtures

var port = 0
var token: String?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--port":
        guard let value = arguments.popFirst().flatMap(Int.init) else { fatalError("--port needs a number") }
        port = value
    case "--token":
        token = arguments.popFirst()
    default:
        FileHandle.standardError.write(Data("OIPFixtureServer: unknown argument \(argument)\n".utf8))
        exit(2)
    }
}

var logger = Logger(label: "thorax.oip-fixture")
logger.logLevel = .warning
let repository = ModelRepository()
await repository.finishLoading(FakeModel())
let service = InferenceService(repository: repository,
                               options: ServiceOptions(serverVersion: "fixture", bearerToken: token), logger: logger)
let application = service.application(host: "127.0.0.1", port: port) { port in
    FileHandle.standardOutput.write(Data("listening on 127.0.0.1:\(port)\n".utf8))   // unbuffered: the test waits for it
}
try await application.runService()
