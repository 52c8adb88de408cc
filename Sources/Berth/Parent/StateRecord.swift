import BerthCgroups
import BerthSpec

/// What `<root>/<id>/state.json` holds: everything later commands need without the
/// bundle (the bundle may be gone by the time `delete` runs). Written and read without
/// `Codable` (see `StateRecordJSON.swift`); the config stays a parsed document that only
/// the commands needing it decode (`exec`, hooks), so `state`, `kill`, `start`, `delete`
/// and `list` never build a `Spec`.
struct StateRecord: Sendable {
    var ociVersion: String
    var id: String
    var pid: Int32
    /// The init's start time (`/proc/<pid>/stat` field 22): with the pid, its identity.
    var startTime: UInt64
    var bundle: String
    var rootfs: String
    var created: String
    var owner: String
    /// The namespaces the container uses, as `/proc/<pid>/ns/*` paths or the joined paths.
    var namespacePaths: NamespacePaths
    /// The container's cgroup directories, one per hierarchy.
    var cgroupPaths: [String]
    /// The ones berth created (and delete removes).
    var cgroupCreated: [String]
    /// They are on a pure cgroup v2 host.
    var cgroupUnified: Bool
    /// config.json as the bundle had it at create (exec's process and settings, hooks,
    /// annotations), not decoded until needed (see `spec()`).
    var config: JSONValue {
        didSet { configText = nil }
    }
    /// The caller's NOTIFY_SOCKET, when the container's readiness is to be passed on.
    var notifySocket: String?
    /// `linux.netDevices` as moved in, and the network namespace they live in (the
    /// state directory's pin, or the joined path): `delete` moves them back from there.
    var netDevices: [NetDeviceRecord]? = nil
    var netDeviceNamespace: String? = nil
    /// Device and inode of the berth binary that cloned the init: while the init's
    /// /proc/<pid>/exe is still that file, it has not exec'd (see `Container.status`).
    var runtimeBinary: [UInt64]? = nil
    /// Without a mount namespace of its own: the bind of the rootfs on the host below
    /// which the container's mounts are, detached by `delete`.
    var hostRootfsMount: HostRootfsMount? = nil
    /// The copy-on-write layer over the rootfs, if the container has one.
    var layer: ContainerLayer? = nil
    /// The config as its JSON text, which state.json takes as it is. Read from state.json,
    /// it is parsed only by what needs it, and only the member needed (`config` is then
    /// `null`): `state`, `kill`, `start` and `delete` never build the whole document. At
    /// create it is config.json's bytes beside their parsed `config`, which readers use.
    var configText: [UInt8]? = nil
}

extension StateRecord {
    /// The config the container was created from.
    func spec() throws(BerthError) -> Spec {
        if let cached = StateCache.spec(of: self) { return cached }
        do throws(SpecError) {
            let document: JSONValue
            if case .null = config, let configText {
                do throws(JSONSyntaxError) { document = try JSONValue.parse(configText) } catch {
                    throw SpecError("state.json config: \(error.reason)")
                }
            } else {
                document = config
            }
            let spec = try SpecLoader.decode(Spec.self, from: document, fileName: "state.json config")
            StateCache.remember(spec: spec, of: self)
            return spec
        } catch {
            throw BerthError(.system, "read state of \(id): \(error.message)")
        }
    }

    /// The config's annotations (for the state document), decoded alone: sorted by key,
    /// the last value of a duplicate key, nil when the member is missing or not an object
    /// of strings. No dictionary is built (see `ContainerState.annotationList`).
    var annotationList: [ContainerState.Annotation]? {
        guard let value = configMember("annotations"), case .object(let a) = value else { return nil }
        var list: [ContainerState.Annotation] = []
        list.reserveCapacity(a.keys.count)
        for (key, value) in zip(a.keys, a.values) {
            guard case .string(let text) = value else { return nil }
            list.append(ContainerState.Annotation(key: key, value: text))
        }
        // A stable sort keeps duplicates in document order: the last of each run wins.
        let sorted = list.enumerated().sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }.map(\.element)
        var unique: [ContainerState.Annotation] = []
        for entry in sorted {
            if unique.last?.key == entry.key { unique[unique.count - 1] = entry } else { unique.append(entry) }
        }
        return unique
    }

    /// The same as a dictionary.
    var annotations: [String: String]? {
        annotationList.map { Dictionary($0.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 }) }
    }

    /// The config's hooks, decoded alone; a container without any decodes nothing.
    func hooks() throws(BerthError) -> Hooks? {
        guard let value = configMember("hooks") else { return nil }
        if case .null = value { return nil }
        do throws(SpecError) { return try SpecLoader.decode(Hooks.self, from: value, fileName: "state.json config hooks") } catch {
            throw BerthError(.system, "read state of \(id): \(error.message)")
        }
    }

    /// One member of the config, parsed alone when the config is still text (nil when
    /// missing, or when that text is not a JSON object).
    func configMember(_ name: String) -> JSONValue? {
        if case .null = config, let configText {
            guard let value = try? JSONValue.parse(configText, leavingAsText: { $0 != name }),
                case .object(let o) = value
            else { return nil }
            return o[name]
        }
        guard case .object(let o) = config else { return nil }
        return o[name]
    }

    /// The container's cgroups as recorded at create (the host layout is not read again).
    var cgroups: CgroupSet {
        CgroupSet(paths: cgroupPaths, created: cgroupCreated, unified: cgroupUnified)
    }
}
