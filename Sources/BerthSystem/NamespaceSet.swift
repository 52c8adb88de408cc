/// A set of namespace kinds as a bit mask. A `Set<Namespace>` would cost its first user a
/// runtime `Namespace: Hashable` conformance look-up (a scan of every conformance record
/// in the binary) on the path every container takes; eight kinds fit in a byte.
public struct NamespaceSet: Sendable, Equatable {
    private var bits: UInt8 = 0

    public init() {}

    private static func bit(_ ns: Namespace) -> UInt8 {
        UInt8(1) << UInt8(Namespace.allCases.firstIndex(of: ns)!)
    }

    public func contains(_ ns: Namespace) -> Bool { bits & Self.bit(ns) != 0 }

    public mutating func insert(_ ns: Namespace) { bits |= Self.bit(ns) }

    /// The members, in `Namespace.allCases` order.
    public var members: [Namespace] { Namespace.allCases.filter(contains) }
}
