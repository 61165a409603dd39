// swift-tools-version:6.0
import Foundation
import PackageDescription

// Modules by concern; arrows point at what a module may import (DESIGN.md):
// thorax (CLI) -> CAD -> Models -> NN -> Tensor -> CDNNL (oneDNN; only Tensor imports it)
//                   |-> Loader -> Imaging -> CPNG, CISAL, CTurboJPEG, ...
//                   |-> Store (GRDB / SQLite)
//                   '-> Reports (pure Swift, no C)
// Distributed -> CMPI (Open MPI): stands alone until the trainer adopts it.
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
        .target(name: "Reports", resources: [.copy("Resources")]),

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
        .target(name: "Imaging", dependencies: ["Random", "CPNG", "CISAL", "CTurboJPEG", "CZlib", "CCharLS", "COpenJPEG"]),
        .target(name: "Store", dependencies: ["Random", 
            .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
            "CCrypto", "Reports",
        ]),
        .target(name: "Loader", dependencies: ["Imaging", "Store"]),

        // The paper's pipeline: head, loss, training, evaluation, localization.
        .target(name: "CAD", dependencies: ["Random", "Models", "Imaging", "Store", "Loader", "Reports",
                                            .product(name: "GRDB", package: "GRDB.swift")]),

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
                "CAD", "Reports", "Store", "Imaging", "Loader", "Models", "NN", "Tensor", "SafeTensors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Shared helpers for the test targets only (locating ../shared/data, temp dirs).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // The engine tests' shared helpers and reference twins (seeded data, comparisons, ReferenceConv2d).
        .target(name: "EngineTestSupport", dependencies: ["Tensor"], path: "Tests/EngineTestSupport"),

        .testTarget(name: "ReportsTests", dependencies: ["Reports", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport", "EngineTestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Random", "TestSupport", "EngineTestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Random", "SafeTensors", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "Random", "TestSupport", "CZlib"], exclude: ["Fixtures"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "Random", "Reports", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "LoaderTests", dependencies: ["Loader", "Store", "Imaging", "TestSupport"]),
        .testTarget(name: "CADTests", dependencies: ["CAD", "Random", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "thorax-mpi-check", "TestSupport"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "ThoraxCLITests", dependencies: ["thorax", "CAD", "Store", "Models", "SafeTensors", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
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

// The HTTP service (issue 13) and the standalone parts it stands on, each in its own module:
// DICOMResults (Part 10 writer, TID 1500 SR, Secondary Capture) -> Imaging; Multipart (RFC 2387
// bodies, pure Swift); Service (Open Inference Protocol v2 on Hummingbird 2).
package.dependencies += [
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
]
package.targets += [
    .target(name: "DICOMResults", dependencies: ["Imaging"], swiftSettings: [.swiftLanguageMode(.v6)]),
    .target(name: "Multipart", swiftSettings: [.swiftLanguageMode(.v6)]),
    .target(name: "Service", dependencies: [
        .product(name: "Hummingbird", package: "hummingbird"),
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
        "Service", "ServiceFixtures", "OIPFixtureServer", "TestSupport", .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
    ], exclude: ["Scripts"], swiftSettings: [.swiftLanguageMode(.v6)]),
]
