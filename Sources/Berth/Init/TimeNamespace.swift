import BerthSystem

/// A new time namespace takes its offsets before any process enters it. So the init
/// unshares one first (which applies to its children only), before it asks the parent
/// for its maps; the parent writes the offsets while serving that request
/// (`TimeOffsets`), and the init enters the namespace afterwards through
/// `/proc/self/ns/time_for_children` (which freezes the offsets).
enum TimeNamespace {
    static func unshareForChildren() throws {
        try unshareNamespaces(Namespace.time.cloneFlag)
    }

    static func enter() throws {
        try Namespace.time.join(path: "/proc/self/ns/time_for_children")
    }
}
