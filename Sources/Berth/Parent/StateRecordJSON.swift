import BerthSpec

// state.json, written and read member by member (no `Codable`: see `JSONValue`). The
// member names are those the record always had, so a record written by an older berth
// reads back.

extension StateRecord {
    /// The record as compact JSON.
    var jsonBytes: [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("ociVersion", ociVersion)
        w.field("id", id)
        w.field("pid", pid)
        w.field("startTime", startTime)
        w.field("bundle", bundle)
        w.field("rootfs", rootfs)
        w.field("created", created)
        w.field("owner", owner)
        w.field("namespacePaths", namespacePaths)
        w.field("cgroupPaths", cgroupPaths)
        w.field("cgroupCreated", cgroupCreated)
        w.field("cgroupUnified", cgroupUnified)
        w.field("notifySocket", notifySocket)
        if let netDevices {
            w.key("netDevices")
            w.beginArray()
            for d in netDevices {
                w.beginObject()
                w.field("hostName", d.hostName)
                w.field("name", d.name)
                w.key("hardwareAddress")
                w.beginArray()
                for b in d.hardwareAddress { w.number(UInt64(b)) }
                w.endArray()
                w.field("wasUp", d.wasUp)
                w.endObject()
            }
            w.endArray()
        }
        w.field("netDeviceNamespace", netDeviceNamespace)
        if let m = hostRootfsMount {
            w.key("hostRootfsMount")
            w.beginObject()
            w.field("path", m.path)
            w.field("mountID", m.mountID)
            w.endObject()
        }
        if let runtimeBinary {
            w.key("runtimeBinary")
            w.beginArray()
            for n in runtimeBinary { w.number(n) }
            w.endArray()
        }
        if let l = layer {
            w.key("layer")
            w.beginObject()
            w.field("directory", l.directory)
            w.field("kept", l.kept)
            w.field("lowers", l.lowers)
            w.endObject()
        }
        // Last: the largest member.
        w.key("config")
        if let configText { w.raw(configText) } else { w.value(config) }
        w.endObject()
        return w.bytes
    }

    /// Reads a record; a member that is missing takes its zero value.
    init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(
            ociVersion: try o.lenient("ociVersion", ""), id: try o.lenient("id", ""), pid: try o.lenient("pid", 0),
            startTime: try o.lenient("startTime", 0), bundle: try o.lenient("bundle", ""),
            rootfs: try o.lenient("rootfs", ""), created: try o.lenient("created", ""), owner: try o.lenient("owner", ""),
            namespacePaths: try o.lenient("namespacePaths", NamespacePaths()), cgroupPaths: try o.lenient("cgroupPaths", []),
            cgroupCreated: try o.lenient("cgroupCreated", []), cgroupUnified: try o.lenient("cgroupUnified", false),
            config: o.value("config") ?? .object(JSONObject()), notifySocket: try o.optional("notifySocket"))
        netDevices = try o.optional("netDevices")
        netDeviceNamespace = try o.optional("netDeviceNamespace")
        hostRootfsMount = try o.optional("hostRootfsMount")
        runtimeBinary = try o.optional("runtimeBinary")
        layer = try o.optional("layer")
    }
}

extension NetDeviceRecord: JSONDecodable {
    init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(
            hostName: try o.lenient("hostName", ""), name: try o.lenient("name", ""),
            hardwareAddress: try o.lenient("hardwareAddress", []), wasUp: try o.lenient("wasUp", false))
    }
}

extension HostRootfsMount: JSONDecodable {
    init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(path: try o.lenient("path", ""), mountID: try o.lenient("mountID", 0))
    }
}

extension ContainerLayer: JSONDecodable {
    init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(
            directory: try o.lenient("directory", ""), kept: try o.lenient("kept", false),
            lowers: try o.lenient("lowers", []))
    }
}
