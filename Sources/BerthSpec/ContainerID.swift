/// Container id rules: `[A-Za-z0-9][A-Za-z0-9_.+-]*`, at most 1024 bytes.
public enum ContainerID {
    /// The longest id accepted, in bytes.
    public static let maxLength = 1024

    /// Throws unless `id` is a valid container id. Check before building a path from it.
    public static func validate(_ id: String) throws(SpecError) {
        if id.isEmpty { throw SpecError("container id cannot be empty") }
        if !isValid(id) {
            throw SpecError(
                "invalid container id \"\(id)\": must match [A-Za-z0-9][A-Za-z0-9_.+-]* and be at most \(maxLength) bytes")
        }
    }

    /// Whether `id` is a valid container id.
    public static func isValid(_ id: String) -> Bool {
        var count = 0
        for byte in id.utf8 {
            count += 1
            if count > maxLength { return false }
            let alnum = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            if count == 1 {
                if !alnum { return false }
            } else if !alnum && byte != 0x5F && byte != 0x2E && byte != 0x2B && byte != 0x2D {
                return false
            }
        }
        return count > 0
    }
}
