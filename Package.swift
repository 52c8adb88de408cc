// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "berth",
    products: [
        .library(name: "Berth", targets: ["Berth"]),
        // Swift concurrency on top of Berth, for servers; never linked into `berth`.
        .library(name: "BerthAsync", targets: ["BerthAsync"]),
        .executable(name: "berth", targets: ["BerthCLI"]),
        .executable(name: "berth-embed-example", targets: ["BerthEmbedExample"]),
        // The fuzz targets (Fuzz/BerthFuzz): a replay driver in a normal build, a libFuzzer
        // binary with `make fuzz`. Never part of the `berth` executable.
        .executable(name: "berth-fuzz", targets: ["BerthFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        // `make docs` only (swift package generate-documentation); links nothing.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(name: "CLibcap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),
        // gzip and zstd for layer tarballs (commit --compress, layers unpack).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // The C wrappers; BerthSystem is the only Swift target that imports them (and libseccomp).
        .target(name: "CBerth", dependencies: ["CLibcap"]),
        .target(name: "BerthSpec"),
        .target(
            name: "BerthSystem",
            dependencies: ["CBerth", "CSeccomp", "CZlib", "CZstd", .product(name: "SystemPackage", package: "swift-system")]),
        .target(name: "BerthCgroups", dependencies: ["BerthSystem", "BerthSpec"]),
        .target(
            name: "Berth",
            dependencies: ["BerthSpec", "BerthSystem", "BerthCgroups",
                           .product(name: "SystemPackage", package: "swift-system")]),
        .target(name: "BerthAsync", dependencies: ["Berth"]),
        .executableTarget(
            name: "BerthCLI",
            dependencies: ["Berth", "BerthSpec"]),
        .executableTarget(name: "BerthEmbedExample", dependencies: ["Berth"], path: "spec-examples/embed",
                          exclude: ["README.md"]),
        .executableTarget(name: "BerthFuzz", dependencies: ["Berth", "BerthSpec", "BerthSystem", "BerthCgroups"],
                          path: "Fuzz/BerthFuzz"),
        .testTarget(name: "BerthSpecTests", dependencies: ["BerthSpec"]),
        .testTarget(
            name: "BerthSystemTests",
            dependencies: ["BerthSystem", .product(name: "SystemPackage", package: "swift-system")]),
        .testTarget(name: "BerthCgroupsTests", dependencies: ["BerthCgroups", "BerthSpec"]),
        .testTarget(name: "BerthTests", dependencies: ["Berth", "BerthSystem", "BerthSpec"]),
        .testTarget(name: "BerthAsyncTests", dependencies: ["BerthAsync"]),
        .testTarget(name: "BerthIntegrationTests"),
    ]
)
