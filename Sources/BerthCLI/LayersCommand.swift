import Berth

/// `berth layers unpack FILE DIR`: an OCI layer tarball unpacked as a read-only
/// overlayfs layer directory (for `org.berth.rootfs.lower` or `root.path`); prints its
/// diff id. `berth layers prune [--store DIR]`: removes the store's layer directories
/// no bundle uses, one line each.
struct LayersCommand: BerthCommand {
    static let name = "layers"
    static let summary = "Layer directories: unpack FILE DIR (an OCI layer tarball), prune (unused store layers)."
    static let usage = "unpack FILE DIR | prune [--store DIR]"
    static var flags: [Flag] { [.option("store", nil, "DIR", "the layer store for prune (default /var/lib/berth/layers)")] }
    enum Action {
        case unpack(file: String, directory: String)
        case prune(store: String?)
    }
    let action: Action

    init(_ a: Arguments) throws(UsageError) {
        let name = try a.positional(0, "action (unpack or prune)")
        switch name {
        case "unpack":
            action = .unpack(file: try a.positional(1, "layer tarball"), directory: try a.positional(2, "layer directory"))
            try a.expectAtMost(3)
        case "prune":
            action = .prune(store: a.string("store"))
            try a.expectAtMost(1)
        default:
            throw UsageError("layers: unknown action \"\(name)\" (unpack or prune)")
        }
    }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        switch action {
        case .unpack(let file, let directory):
            print(try ContainerRuntime.unpackLayer(file, into: directory))
        case .prune(let store):
            var out = ""
            for path in try ContainerRuntime.pruneLayers(store: store) { out += "removed " + path + "\n" }
            print(out, terminator: "")
        }
        return 0
    }
}
