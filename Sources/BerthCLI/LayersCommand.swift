import Berth

/// `berth layers unpack FILE DIR`: an OCI layer tarball unpacked as a read-only
/// overlayfs layer directory (for `org.berth.rootfs.lower` or `root.path`); prints its
/// diff id.
struct LayersCommand: BerthCommand {
    static let name = "layers"
    static let summary = "Work with layer directories: unpack FILE DIR (an OCI layer tarball as an overlay layer)."
    static let usage = "unpack FILE DIR"
    static var flags: [Flag] { [] }
    let file: String
    let directory: String

    init(_ a: Arguments) throws(UsageError) {
        let action = try a.positional(0, "action (unpack)")
        guard action == "unpack" else { throw UsageError("layers: unknown action \"\(action)\" (unpack)") }
        file = try a.positional(1, "layer tarball")
        directory = try a.positional(2, "layer directory")
        try a.expectAtMost(3)
    }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        print(try ContainerRuntime.unpackLayer(file, into: directory))
        return 0
    }
}
