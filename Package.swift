// swift-tools-version:6.0
import Foundation
import PackageDescription

// Modules by job. A module may import only what lies below it along the arrows (directly or
// further down); each target's dependency list below names what it imports, so SwiftPM builds
// every module after the ones it imports and refuses a cycle: no module can import one above it.
//
// thorax (the CLI: ArgumentParser, swift-log; parses the typed options once)
//   |-> Service (HTTP: Open Inference Protocol v2, /v1/predict, batching, metrics) -> Pipeline
//   '-> Pipeline (chest model + card, model directory, predict / eval / localize / train runners, demo)
//         |-> Training (trainer with callbacks, typed options, checkpoint / resume, data parallel)
//         |     |-> Distributed (Open MPI: communicator, collectives, gradient buckets) -> CMPI
//         |     |-> Models -> NN -> Tensor -> CDNNL (oneDNN; only Tensor imports it)
//         |     |     |     '-> Random
//         |     |     '-> SafeTensors
//         |     |-> Loader -> Imaging -> CPNG, CISAL, CTurboJPEG, CZlib, CCharLS, COpenJPEG
//         |     |     '-> Store (all SQL: GRDB, SQLite; CCrypto) -> Reports (the labeller, pure Swift)
//         |     '-> Evaluation (AUC, bootstrap, ROC, IoU/IoBB, boxes, Prediction; pure Swift) -> Random
//         '-> Reporting (SVG charts, HTML report, paper tables, heatmap figures) -> Evaluation, Imaging
//
// Distributed knows nothing of tensors; Training hands it gradients as float buffers, and NN's
// batch norm reaches it only through a synchronizer protocol. The HTTP service's modules
// (Service, DICOMResults, Multipart) are declared at the end of this file.
let package = Package(
    name: "Thorax",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "thorax", targets: ["thorax"]),
        .library(name: "Reports", targets: ["Reports"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // C libraries from Debian's -dev packages, each behind one shim header.
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG"),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CCharLS", path: "Sources/CCharLS"),
        .systemLibrary(name: "COpenJPEG", path: "Sources/COpenJPEG"),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto"),
        .systemLibrary(name: "CISAL", path: "Sources/CISAL"),
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c"),

        // The one seeded random generator every module draws from.
        .target(name: "Random",
                swiftSettings: [.swiftLanguageMode(.v6)]),

        // The report labeller: pure Swift, Foundation only.
        .target(name: "Reports", resources: [.copy("Resources")], swiftSettings: [.swiftLanguageMode(.v6)]),

        // The tensor engine: Tensor is the only module that sees oneDNN (its kernels); NN's
        // layers and Models' networks call the kernels.
        .target(name: "Tensor", dependencies: ["CDNNL"],
                swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "NN", dependencies: ["Tensor", "Random"],
                swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "SafeTensors",
                swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "Models", dependencies: ["NN", "SafeTensors"],
                swiftSettings: [.swiftLanguageMode(.v6)]),

        // Images and the database.
        .target(name: "Imaging", dependencies: ["Random", "CPNG", "CISAL", "CTurboJPEG", "CZlib", "CCharLS", "COpenJPEG"],
                swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "Store", dependencies: ["Random", 
            .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
            "CCrypto", "Reports",
        ], swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "Loader", dependencies: ["Imaging", "Store"], swiftSettings: [.swiftLanguageMode(.v6)]),

        // Metrics of the paper's benchmarks: AUC, bootstrap, ROC, IoU/IoBB, heatmap boxes. Pure Swift.
        .target(name: "Evaluation", dependencies: ["Random"], swiftSettings: [.swiftLanguageMode(.v6)]),

        // Figures, charts, tables and the HTML report. Pure Swift on Evaluation's results.
        .target(name: "Reporting", dependencies: ["Evaluation", "Imaging"], swiftSettings: [.swiftLanguageMode(.v6)]),

        // The trainer: typed options, the training loop with its callbacks, checkpoint and resume.
        .target(name: "Training", dependencies: ["Evaluation", "Models", "NN", "Tensor", "SafeTensors", "Imaging", "Loader", "Store",
                                                 "Distributed"],
                swiftSettings: [.swiftLanguageMode(.v6)]),

        // The layer the CLI (and the HTTP service) calls: the chest model and its card, the
        // predict / evaluate / localize / train runners, the demo.
        .target(name: "Pipeline", dependencies: ["Evaluation", "Reporting", "Training", "Models", "NN", "Tensor", "SafeTensors",
                                                 "Imaging", "Loader", "Store", "Reports", "Distributed"],
                swiftSettings: [.swiftLanguageMode(.v6)]),

        // Data-parallel training over MPI: communicator, collectives, gradient buckets, sharding.
        .target(name: "Distributed", dependencies: ["CMPI"], swiftSettings: [.swiftLanguageMode(.v6)]),
        // Checks the collectives under mpirun with exact expected values, and times allreduce.
        .executableTarget(name: "thorax-mpi-check",
                          dependencies: ["Distributed", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: [.swiftLanguageMode(.v6)]),

        .executableTarget(
            name: "thorax",
            dependencies: [
                "Random",
                "Pipeline", "Evaluation", "Reporting", "Training", "Reports", "Store", "Imaging", "Loader", "Models", "NN", "Tensor", "SafeTensors",
                "Distributed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),

        // Shared helpers for the test targets only (locating the shared data, temp dirs).
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: [.swiftLanguageMode(.v6)]),
        // The engine tests' shared helpers and reference twins (seeded data, comparisons, ReferenceConv2d).
        .target(name: "EngineTestSupport", dependencies: ["Tensor"], path: "Tests/EngineTestSupport"),

        .testTarget(name: "ReportsTests", dependencies: ["Reports", "TestSupport"], exclude: ["Fixtures"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport", "EngineTestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Random", "TestSupport", "EngineTestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Random", "SafeTensors", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "Random", "TestSupport", "CZlib"], exclude: ["Fixtures"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "Random", "Reports", "TestSupport"], exclude: ["Fixtures"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "LoaderTests", dependencies: ["Loader", "Store", "Imaging", "TestSupport"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Random", "TestSupport"], resources: [.copy("Fixtures")],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting", "Evaluation", "Random", "TestSupport"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Models", "TestSupport"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Evaluation", "Reporting", "Training", "Models", "Imaging", "Store",
                                                       "Random", "TestSupport"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "thorax-mpi-check", "TestSupport"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "ThoraxCLITests", dependencies: ["thorax", "Pipeline", "Evaluation", "Reporting", "Training", "Store", "Models", "SafeTensors", "TestSupport"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
    ],
    // Every module builds in Swift 6 mode, those without their own setting (the engine's tests,
    // the fuzz targets) included.
    swiftLanguageModes: [.v6]
)

// libFuzzer targets (Fuzz/README.md), one per parser of untrusted bytes. They exist only when
// THORAX_FUZZ is set (scripts/fuzz sets it): each defines LLVMFuzzerTestOneInput and a main
// that calls libFuzzer's driver, which only links with -sanitize=fuzzer — and the ordinary
// build should not pay for them anyway.
if ProcessInfo.processInfo.environment["THORAX_FUZZ"] != nil {
    let fuzzTargets: [(String, [Target.Dependency])] = [
        ("FuzzDICOM", ["Imaging"]),
        ("FuzzPNG", ["Imaging", "CZlib"]),
        ("FuzzJPEG", ["Imaging"]),
        ("FuzzRLE", ["Imaging"]),
        ("FuzzReports", ["Reports"]),
        ("FuzzNIH", ["Store"]),
        ("FuzzSafeTensors", ["SafeTensors"]),
        ("FuzzMultipart", ["Multipart"]),
    ]
    package.targets.append(.target(name: "FuzzDriver", path: "Fuzz/Driver"))
    for (name, dependencies) in fuzzTargets {
        package.products.append(.executable(name: name, targets: [name]))
        package.targets.append(.executableTarget(name: name, dependencies: dependencies + ["FuzzDriver"], path: "Fuzz/Targets/\(name)"))
    }
}

// The HTTP service and the standalone parts it stands on, each in its own module:
// DICOMResults (Part 10 writer, TID 1500 SR, Secondary Capture) -> Imaging; Multipart (RFC 2387
// bodies, pure Swift); Service (Open Inference Protocol v2 and the plain image endpoint on
// Hummingbird 2, over Pipeline's chest model; Prometheus metrics); DICOMweb (STOW-RS, QIDO-RS,
// WADO-RS and the results as DICOM) -> Service, Store, Pipeline, DICOMResults, Multipart,
// DICOMwebClient (STOW-RS to a PACS: results sent on; AsyncHTTPClient) -> Multipart. The
// thorax CLI's `serve` command runs them.
package.dependencies += [
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
]
package.targets += [
    .target(name: "DICOMResults", dependencies: ["Imaging"], swiftSettings: [.swiftLanguageMode(.v6)]),
    .target(name: "Multipart", swiftSettings: [.swiftLanguageMode(.v6)]),
    .target(name: "Service", dependencies: [
        "Pipeline", "Evaluation", "Imaging", "Tensor",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
    ], swiftSettings: [.swiftLanguageMode(.v6)]),
    .testTarget(name: "DICOMResultsTests", dependencies: ["DICOMResults", "Imaging", "TestSupport"],
                exclude: ["Scripts"], swiftSettings: [.swiftLanguageMode(.v6)]),
    .testTarget(name: "MultipartTests", dependencies: ["Multipart", "Random"], swiftSettings: [.swiftLanguageMode(.v6)]),
    // A deterministic fake model, and a server of it for the end-to-end check with tritonclient.
    .target(name: "ServiceFixtures", dependencies: ["Service"], path: "Tests/ServiceFixtures",
            swiftSettings: [.swiftLanguageMode(.v6)]),
    .executableTarget(name: "OIPFixtureServer", dependencies: [
        "Service", "ServiceFixtures", .product(name: "Logging", package: "swift-log"),
    ], path: "Tests/OIPFixtureServer", swiftSettings: [.swiftLanguageMode(.v6)]),
    .testTarget(name: "ServiceTests", dependencies: [
        "Service", "ServiceFixtures", "OIPFixtureServer", "TestSupport", "Pipeline", "Evaluation", "Imaging", .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
    ], exclude: ["Scripts"], swiftSettings: [.swiftLanguageMode(.v6)]),
    // A DICOMweb client (STOW-RS; AsyncHTTPClient): Thorax sending its results on to a PACS.
    .target(name: "DICOMwebClient", dependencies: [
        "Multipart", .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
    ], swiftSettings: [.swiftLanguageMode(.v6)]),
    .testTarget(name: "DICOMwebClientTests", dependencies: [
        "DICOMwebClient", "Multipart", .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
    ], swiftSettings: [.swiftLanguageMode(.v6)]),
    .target(name: "DICOMweb", dependencies: [
        "Service", "Store", "Pipeline", "DICOMResults", "Multipart", "Imaging", "Evaluation", "Reporting", "DICOMwebClient", "Reports",
        .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
    ], swiftSettings: [.swiftLanguageMode(.v6)]),
    .testTarget(name: "DICOMwebTests", dependencies: [
        "DICOMweb", "Service", "Store", "Pipeline", "DICOMResults", "Multipart", "Imaging",
        "Evaluation", "TestSupport", .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
    ], exclude: ["Scripts"], swiftSettings: [.swiftLanguageMode(.v6)]),
]

// The web viewer: its pages as package resources and the JSON endpoints they read,
// on the service's router -> Service, Store, Pipeline, Reports (the labeller's mentions), Imaging,
// Evaluation and Reporting (a model's ROC curves).
package.targets += [
    .target(name: "Viewer", dependencies: [
        "Service", "Store", "Pipeline", "Reports", "Imaging", "Evaluation", "Reporting",
        .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
    ], resources: [.copy("Static")], swiftSettings: [.swiftLanguageMode(.v6)]),
    .testTarget(name: "ViewerTests", dependencies: [
        "Viewer", "Service", "Store", "Pipeline", "Imaging", "Evaluation", "Reports", "TestSupport",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
    ], exclude: ["Scripts"], swiftSettings: [.swiftLanguageMode(.v6)]),
]

// `thorax serve` runs the service.
if let thorax = package.targets.first(where: { $0.name == "thorax" }) {
    thorax.dependencies += [
        "Service", "DICOMweb", "Viewer", "DICOMwebClient",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
    ]
}
