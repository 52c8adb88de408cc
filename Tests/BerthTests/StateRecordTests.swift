import BerthSpec
import Testing

@testable import Berth

/// state.json: written and read member by member, the config kept as the parsed document
/// and decoded only when a command needs it.
@Suite struct StateRecordTests {
    static let config =
        #"{"ociVersion":"1.2.0","process":{"args":["sh"],"cwd":"/"},"annotations":{"k":"v"},"hooks":{"poststop":[{"path":"/bin/true"}]},"x-unknown":[1,2.50,{"y":null}]}"#

    static func record() throws -> StateRecord {
        var r = StateRecord(
            ociVersion: "1.2.0", id: "c1", pid: 42, startTime: 123_456_789, bundle: "/b \"q\"", rootfs: "/b/rootfs",
            created: "2026-01-01T00:00:00.000000001Z", owner: "", namespacePaths: ["pid": "/proc/42/ns/pid", "net": "/n"],
            cgroupPaths: ["/sys/fs/cgroup/pids/c1"], cgroupCreated: ["/sys/fs/cgroup/pids/c1"], cgroupUnified: false,
            config: try JSONValue.parse(Array(config.utf8)), notifySocket: "/run/notify.sock")
        r.netDevices = [NetDeviceRecord(hostName: "eth1", name: "net0", hardwareAddress: [2, 0, 0, 0, 0, 255], wasUp: true)]
        r.netDeviceNamespace = "/run/berth/c1/netns"
        r.hostRootfsMount = HostRootfsMount(path: "/b/rootfs", mountID: 77)
        return r
    }

    @Test func roundTrips() throws {
        let r = try Self.record()
        let back = try StateRecord(json: try JSONValue.parse(r.jsonBytes))
        #expect(back.id == r.id && back.pid == r.pid && back.startTime == r.startTime && back.bundle == r.bundle)
        #expect(back.rootfs == r.rootfs && back.created == r.created && back.namespacePaths == r.namespacePaths)
        #expect(back.cgroupPaths == r.cgroupPaths && back.cgroupCreated == r.cgroupCreated && back.cgroupUnified == r.cgroupUnified)
        #expect(back.notifySocket == r.notifySocket && back.netDevices == r.netDevices)
        #expect(back.netDeviceNamespace == r.netDeviceNamespace && back.hostRootfsMount == r.hostRootfsMount)
        // The config comes back as the bundle wrote it, unknown members and number forms included.
        #expect(back.config == r.config)
        #expect(back.annotations == ["k": "v"])
        #expect(try back.hooks()?.poststop == [Hook(path: "/bin/true")])
        #expect(try back.spec().process?.args == ["sh"])
    }

    @Test func readsTheCodableRecordOfEarlierBerths() throws {
        // As Foundation's JSONEncoder wrote it: keys in any order, slashes escaped.
        let old =
            #"{"cgroupCreated":["\/sys\/fs\/cgroup\/pids\/old1"],"cgroupUnified":false,"pid":21329,"cgroupPaths":["\/sys\/fs\/cgroup\/pids\/old1"],"rootfs":"\/r","owner":"","startTime":99,"id":"old1","namespacePaths":{"pid":"\/proc\/21329\/ns\/pid"},"created":"2026-12-01T17:50:11.432066707Z","bundle":"\/b","ociVersion":"1.2.0","config":{"ociVersion":"1.0.2-dev","annotations":{"a":"b"},"process":{"user":{"uid":0,"gid":0},"cwd":"\/","args":["\/bin\/true"]}}}"#
        let r = try StateRecord(json: try JSONValue.parse(Array(old.utf8)))
        #expect(r.id == "old1" && r.pid == 21329 && r.startTime == 99 && r.bundle == "/b" && r.rootfs == "/r")
        #expect(r.cgroupPaths == ["/sys/fs/cgroup/pids/old1"])
        #expect(r.netDevices == nil && r.hostRootfsMount == nil && r.notifySocket == nil)
        #expect(r.annotations == ["a": "b"])
        #expect(try r.spec().process?.args == ["/bin/true"])
    }

    /// Read from state.json, the config stays text: written back as it was, and each
    /// part (annotations, hooks, the whole spec) parsed from it when asked for.
    @Test func theConfigStaysTextUntilNeeded() throws {
        let r = try Self.record()
        var texts: [JSONMemberText] = []
        let json = try JSONValue.parse(r.jsonBytes, leavingAsText: { $0 == "config" }, texts: &texts)
        var back = try StateRecord(json: json)
        back.configText = texts.last?.text
        #expect(back.config == .null && back.configText != nil)
        #expect(back.annotations == ["k": "v"])
        #expect(try back.hooks()?.poststop == [Hook(path: "/bin/true")])
        #expect(try back.spec().process?.args == ["sh"])
        #expect(back.jsonBytes == r.jsonBytes)
        // Setting the config replaces the text.
        back.config = try JSONValue.parse(Array(#"{"annotations":{"x":"y"}}"#.utf8))
        #expect(back.configText == nil && back.annotations == ["x": "y"])
    }

    /// The state document's annotations: sorted by key, the last value of a duplicate key
    /// (as Go's encoding/json reads it), none when one is not a string.
    @Test func annotationsAreSortedAndTheLastDuplicateWins() throws {
        var r = try Self.record()
        r.config = try JSONValue.parse(Array(#"{"annotations":{"b":"1","a":"2","b":"3","c":"4"}}"#.utf8))
        #expect(r.annotationList == [.init(key: "a", value: "2"), .init(key: "b", value: "3"), .init(key: "c", value: "4")])
        #expect(r.annotations == ["a": "2", "b": "3", "c": "4"])
        r.config = try JSONValue.parse(Array(#"{"annotations":{"a":1}}"#.utf8))
        #expect(r.annotationList == nil)
    }

    @Test func aConfigThatNoLongerDecodesOnlyFailsWhatNeedsIt() throws {
        var r = try Self.record()
        r.config = try JSONValue.parse(Array(#"{"process":{"args":"not an array"},"annotations":{"k":"v"}}"#.utf8))
        let back = try StateRecord(json: try JSONValue.parse(r.jsonBytes))
        #expect(back.annotations == ["k": "v"])
        #expect(try back.hooks() == nil)
        #expect(throws: BerthError.self) { try back.spec() }
    }
}
