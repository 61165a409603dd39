// Serves the DICOMweb routes on 127.0.0.1 with the bundled model, a database and a data
// directory, for the end-to-end check with the real dicomweb-client (DICOMwebTests.DICOMwebClientTests).
//
//     DICOMwebFixtureServer --database FILE --data-directory DIR [--model DIR] [--port P] [--token T]
//
// The database is created when absent; the model defaults to the bundled one (Models/default).
// Prints "listening on 127.0.0.1:<port>" once the socket is bound, then serves until SIGTERM or
// SIGINT, on which it finishes the requests in flight and exits 0 (swift-service-lifecycle).
import DICOMweb
import Foundation
import Hummingbird
import Logging
import Pipeline
import Service
import Store

var port = 0
var token: String?
var databasePath: String?
var dataDirectory: String?
var modelName = ModelDirectory.defaultName
var arguments = CommandLine.arguments.dropFirst()
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("DICOMwebFixtureServer: \(message)\n".utf8))
    exit(2)
}
while let argument = arguments.popFirst() {
    switch argument {
    case "--port":
        guard let value = arguments.popFirst().flatMap(Int.init) else { fail("--port needs a number") }
        port = value
    case "--token": token = arguments.popFirst()
    case "--database": databasePath = arguments.popFirst()
    case "--data-directory": dataDirectory = arguments.popFirst()
    case "--model": modelName = arguments.popFirst() ?? modelName
    default: fail("unknown argument \(argument)")
    }
}
guard let databasePath, let dataDirectory else { fail("--database and --data-directory are required") }

var logger = Logger(label: "thorax.dicomweb-fixture")
logger.logLevel = .warning
do {
    let database = try ThoraxDatabase(path: databasePath)
    let predictor = try ChestModelPredictor(directory: try ModelDirectory.resolve(modelName))
    let options = ServiceOptions(serverVersion: "fixture", bearerToken: token)
    let router = InferenceService(repository: ModelRepository(), options: options, logger: logger).router()
    try DICOMwebRoutes.register(on: router, database: database, predictor: predictor,
                                options: DICOMwebOptions(dataDirectory: URL(fileURLWithPath: dataDirectory)), logger: logger)
    let requestedPort = port
    let application = Application(
        router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: requestedPort), serverName: "thorax"),
        onServerRunning: { channel in
            // Unbuffered: the test waits for this line.
            FileHandle.standardOutput.write(Data("listening on 127.0.0.1:\(channel.localAddress?.port ?? requestedPort)\n".utf8))
        },
        logger: logger)
    try await application.runService()
} catch {
    fail("\(error)")
}
