/// One change a container made in its copy-on-write layer, as `docker diff` lists it.
public struct LayerChange: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// `A`: not in the read-only layers.
        case added = "A"
        /// `C`: in the read-only layers, changed (content, metadata, or what a directory holds).
        case changed = "C"
        /// `D`: in the read-only layers, deleted.
        case deleted = "D"
    }

    public var kind: Kind
    /// The path in the container, e.g. `/etc/passwd`.
    public var path: String

    public init(kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }

    /// `A /path`, `C /path` or `D /path`.
    public var line: String { kind.rawValue + " " + path }
}

extension Container {
    /// What the container changed in its copy-on-write layer, sorted by path; running,
    /// paused or stopped alike. Fails for a container without a layer.
    public func changes() throws(BerthError) -> [LayerChange] {
        try LayerChange.list(try layer())
    }

    /// The container's layer, as its state records it.
    func layer() throws(BerthError) -> ContainerLayer {
        guard case .complete(let record) = try store.entry(id) else {
            throw BerthError(.invalidState, "container \(id) is still being created")
        }
        guard let layer = record.layer else {
            throw BerthError(.invalidState, "container \(id) has no copy-on-write layer (create it with --overlay or the annotation org.berth.rootfs.overlay)")
        }
        return layer
    }
}

extension ContainerRuntime {
    /// What a kept layer directory (`create --overlay DIR`) holds, compared with the
    /// read-only layers its last container had; with or without a container using it.
    public static func layerChanges(directory: String) throws(BerthError) -> [LayerChange] {
        try LayerChange.list(try ContainerLayer.kept(at: directory))
    }
}

extension LayerChange {
    static func list(_ layer: ContainerLayer) throws(BerthError) -> [LayerChange] {
        try LayerWalk(upper: layer.upper, lowers: layer.lowers).entries().filter(\.reported).map {
            LayerChange(kind: $0.change, path: $0.path)
        }
    }
}
