import Berth

/// `berth bundle --image DIR[:REF] [--store DIR] BUNDLE`: a bundle from an OCI image
/// layout, its layers unpacked once into a shared store.
struct BundleCommand: BerthCommand {
    static let name = "bundle"
    static let summary = "Make a bundle from an OCI image layout; layers are unpacked once into a shared store."
    static let usage = "--image DIR[:REF] [--store DIR] BUNDLE"
    static var flags: [Flag] {
        [
            .option("image", nil, "DIR[:REF]", "the OCI image layout, and the image's ref.name in its index.json"),
            .option("store", nil, "DIR", "the layer store (default /var/lib/berth/layers)"),
        ]
    }
    let image: String
    let reference: String?
    let store: String?
    let bundle: String

    init(_ a: Arguments) throws(UsageError) {
        bundle = try a.positional(0, "bundle directory")
        try a.expectAtMost(1)
        guard let image = a.string("image"), !image.isEmpty else { throw UsageError("bundle needs --image DIR[:REF]") }
        // DIR:REF unless DIR itself (with its colon) is the layout.
        if let colon = image.lastIndex(of: ":"), !image.hasSuffix(":"),
            (try? ContainerRuntime.isDirectory(image)) != true
        {
            self.image = String(image[..<colon])
            reference = String(image[image.index(after: colon)...])
        } else {
            self.image = image
            reference = nil
        }
        store = a.string("store")
    }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        try ContainerRuntime.makeBundle(image: image, reference: reference, bundle: bundle, store: store)
        return 0
    }
}
