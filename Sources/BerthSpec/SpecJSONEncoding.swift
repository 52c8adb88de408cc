// The spec documents berth sends to other programs, written without `Codable` (see
// `JSONValue`): the state hooks read on stdin and the container process state a seccomp
// agent receives. Members in the order runc writes them.

extension State {
    /// This state as compact JSON; `pid` only when set, annotations sorted.
    package func write(into w: inout JSONWriter) {
        w.beginObject()
        w.field("ociVersion", ociVersion)
        w.field("id", id)
        w.field("status", status)
        if let pid { w.field("pid", pid) }
        w.field("bundle", bundle)
        if let annotations { w.field("annotations", annotations) }
        w.endObject()
    }

    /// This state as compact JSON.
    package var jsonBytes: [UInt8] {
        var w = JSONWriter()
        write(into: &w)
        return w.bytes
    }
}

extension ContainerProcessState {
    /// This document as compact JSON.
    package var jsonBytes: [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("ociVersion", ociVersion)
        w.field("fds", fds)
        w.field("pid", pid)
        w.field("metadata", metadata)
        w.key("state")
        state.write(into: &w)
        w.endObject()
        return w.bytes
    }
}
