/// One mount of the container (`mounts[]`).
public struct Mount: Codable, Sendable, Equatable {
    /// Where the mount goes inside the container. Relative paths are relative to `/`.
    public var destination: String
    /// Filesystem type (`proc`, `tmpfs`, `bind`, `none`, ...). Not checked when decoding.
    public var type: String?
    /// Device name, host path for bind mounts, or a filesystem-specific value.
    public var source: String?
    /// fstab-style options (`ro`, `nosuid`, `rbind`, `mode=755`, ...).
    public var options: [String]?
    /// User id mappings for an id-mapped mount.
    public var uidMappings: [LinuxIDMapping]?
    /// Group id mappings for an id-mapped mount.
    public var gidMappings: [LinuxIDMapping]?

    /// Creates a mount.
    public init(
        destination: String,
        type: String? = nil,
        source: String? = nil,
        options: [String]? = nil,
        uidMappings: [LinuxIDMapping]? = nil,
        gidMappings: [LinuxIDMapping]? = nil
    ) {
        self.destination = destination
        self.type = type
        self.source = source
        self.options = options
        self.uidMappings = uidMappings
        self.gidMappings = gidMappings
    }

    enum CodingKeys: String, SpecCodingKey { case destination, type, source, options, uidMappings, gidMappings }

    /// Decodes a mount; a missing `destination` is `""`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        destination = try c.lenient(.destination, "")
        type = try c.optional(.type)
        source = try c.optional(.source)
        options = try c.optional(.options)
        uidMappings = try c.optional(.uidMappings)
        gidMappings = try c.optional(.gidMappings)
    }
}
