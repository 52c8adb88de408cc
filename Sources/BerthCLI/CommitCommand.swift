import Berth

/// `berth commit -o FILE ID|DIR`: the container's layer (or a kept layer directory) as
/// an OCI image layer tarball; prints its diff id.
struct CommitCommand: BerthCommand {
    static let name = "commit"
    static let summary = "Write what a container (or a kept layer directory) changed as an OCI layer tarball."
    static let usage = "-o FILE ID|DIR"
    static var flags: [Flag] {
        [
            .option("output", "o", "FILE", "the tarball to write (replaced as a whole)"),
            .option("compress", nil, "gzip|zstd", "compress the tarball (the printed diff id is the uncompressed one's)"),
        ]
    }
    let target: String
    let output: String
    let compression: LayerCompression?

    init(_ a: Arguments) throws(UsageError) {
        target = try a.positional(0, "container id or layer directory")
        try a.expectAtMost(1)
        guard let output = a.string("output"), !output.isEmpty else { throw UsageError("commit needs -o FILE") }
        self.output = output
        if let name = a.string("compress") {
            guard let c = LayerCompression(rawValue: name) else {
                throw UsageError("--compress: \"\(name)\" is not gzip or zstd")
            }
            compression = c
        } else {
            compression = nil
        }
    }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        // An id never holds a slash: anything that does is a kept layer directory.
        let written =
            target.contains("/")
            ? try ContainerRuntime.commitLayer(directory: target, to: output, compression: compression)
            : try global.runtime.container(id: target).commit(to: output, compression: compression)
        print(written.diffID)
        return 0
    }
}
