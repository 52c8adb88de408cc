/// The copy-on-write layer a bundle asks for: its rootfs (`root.path`) becomes a
/// read-only overlayfs lower layer, with more read-only layers beneath it, and the
/// container writes into an upper layer of its own.
///
/// Asked for with the annotations `org.berth.rootfs.overlay` (`volatile`, or an absolute
/// directory that keeps the layer) and `org.berth.rootfs.lower` (directories separated by
/// `:`, top first, as overlayfs orders them), or with `create`/`run --overlay`.
public struct RootfsLayers: Sendable, Equatable {
    /// `volatile` or an absolute directory to keep the writable layer in.
    public static let overlayAnnotation = "org.berth.rootfs.overlay"
    /// Read-only layer directories beneath the rootfs, `:`-separated, top first.
    public static let lowerAnnotation = "org.berth.rootfs.lower"
    /// The most lower layers overlayfs stacks (its OVL_MAX_STACK), the rootfs included.
    public static let maxLayers = 500

    /// Where the container's writes go.
    public enum Upper: Sendable, Equatable {
        /// On a tmpfs, gone with the container.
        case volatile
        /// In this directory (`upper/` and `work/` below it), kept after `delete`.
        case kept(String)
    }

    public var upper: Upper
    /// The read-only layers beneath the rootfs, top first (absolute paths).
    public var lowers: [String]

    public init(upper: Upper, lowers: [String] = []) {
        self.upper = upper
        self.lowers = lowers
    }

    /// What `annotations` ask for, with `override` (the `--overlay` flag) taking the place
    /// of `org.berth.rootfs.overlay`; nil when neither asks for a layer.
    public static func requested(annotations: [String: String]?, override: String? = nil)
        throws(SpecError) -> RootfsLayers?
    {
        let annotations = annotations ?? [:]
        let lowerText = annotations[lowerAnnotation]
        let field: String
        let upperText: String
        if let override {
            field = "--overlay"
            upperText = override
        } else if let value = annotations[overlayAnnotation] {
            field = "annotations[\"\(overlayAnnotation)\"]"
            upperText = value
        } else {
            if lowerText != nil {
                throw SpecError(
                    "annotations[\"\(lowerAnnotation)\"]: needs \(overlayAnnotation) (volatile or a directory): lower layers are only used under a writable layer"
                )
            }
            return nil
        }
        let upper = try parseUpper(upperText, field: field)
        var lowers: [String] = []
        if let lowerText {
            lowers = try parseLowers(lowerText)
        }
        return RootfsLayers(upper: upper, lowers: lowers)
    }

    /// `volatile`, or an absolute directory (not `/`), as written after `field`.
    public static func parseUpper(_ text: String, field: String) throws(SpecError) -> Upper {
        if text == "volatile" { return .volatile }
        guard text.hasPrefix("/") else {
            throw SpecError("\(field): must be \"volatile\" or an absolute directory to keep the layer in, not \"\(text)\"")
        }
        let path = lexicallyClean(text)
        guard path != "/" else { throw SpecError("\(field): the layer directory must not be /") }
        guard !text.utf8.contains(0) else { throw SpecError("\(field): the path contains a NUL byte") }
        return .kept(path)
    }

    /// The `:`-separated list of `org.berth.rootfs.lower`.
    public static func parseLowers(_ text: String) throws(SpecError) -> [String] {
        let field = "annotations[\"\(lowerAnnotation)\"]"
        var lowers: [String] = []
        for part in text.split(separator: ":", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { throw SpecError("\(field): an empty entry in \"\(text)\"") }
            guard part.hasPrefix("/") else {
                throw SpecError("\(field): \"\(part)\" is not an absolute directory")
            }
            guard !part.utf8.contains(0) else { throw SpecError("\(field): the path contains a NUL byte") }
            lowers.append(lexicallyClean(String(part)))
        }
        guard lowers.count < maxLayers else {
            throw SpecError("\(field): \(lowers.count) layers; overlayfs stacks at most \(maxLayers - 1) beneath the rootfs")
        }
        return lowers
    }

    /// `path` with `.`, empty components and `..` resolved lexically.
    public static func lexicallyClean(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}
