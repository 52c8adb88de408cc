import FoundationEssentials
import Testing

@testable import BerthSpec

@Suite struct DefaultSpecTests {
    @Test func matchesRuncSpec() throws {
        var runc = try SpecLoader.decode(Array(runcDefaultConfig.utf8))
        runc.ociVersion = ociSpecVersion
        runc.hostname = "berth"
        #expect(Spec.defaultSpec() == runc)
    }

    @Test func rootlessMatchesRuncSpecRootless() throws {
        var runc = try SpecLoader.decode(Array(runcRootlessConfig.utf8))
        runc.ociVersion = ociSpecVersion
        runc.hostname = "berth"
        runc.linux?.uidMappings = [LinuxIDMapping(containerID: 0, hostID: 1234, size: 1)]
        runc.linux?.gidMappings = [LinuxIDMapping(containerID: 0, hostID: 5678, size: 1)]
        #expect(Spec.defaultSpec(rootless: true, uid: 1234, gid: 5678) == runc)
        #expect(Spec.defaultSpec(rootless: true).linux?.uidMappings?.first?.hostID == 1000)
        #expect(Spec.defaultSpec(rootless: true).linux?.namespace(.network) == nil)
        #expect(Spec.defaultSpec(rootless: true).linux?.resources == nil)
    }

    @Test func jsonIsByteIdenticalToRuncSpec() throws {
        func runcText(_ text: String) -> String {
            text.replacing("\"1.0.2-dev\"", with: "\"\(ociSpecVersion)\"")
                .replacing("\"hostname\": \"runc\"", with: "\"hostname\": \"berth\"")
        }
        let ours = String(decoding: try Spec.defaultSpec().jsonData(), as: UTF8.self)
        #expect(ours == runcText(runcDefaultConfig))
        let rootless = String(decoding: try Spec.defaultSpec(rootless: true, uid: 0, gid: 0).jsonData(), as: UTF8.self)
        #expect(rootless == runcText(runcRootlessConfig))
    }

    @Test func compactJSON() throws {
        let state = State(id: "c1", status: .running, pid: 7, bundle: "/b\"q", annotations: ["x": "line\nbreak"])
        let text = String(decoding: try SpecEncoding.encode(state, pretty: false), as: UTF8.self)
        #expect(text == #"{"ociVersion":"1.2.0","id":"c1","status":"running","pid":7,"bundle":"/b\"q","annotations":{"x":"line\nbreak"}}"#)
    }

    @Test func defaultSpecsValidate() throws {
        try Spec.defaultSpec().validate()
        try Spec.defaultSpec(rootless: true).validate()
        try Spec.defaultSpec(rootless: true, uid: 1, gid: 2).validate()
    }

    @Test func jsonIsPrettyAndStable() throws {
        var spec = Spec.defaultSpec()
        spec.annotations = ["z": "1", "a": "2", "m": "3"]
        let first = try spec.jsonData()
        let second = try spec.jsonData()
        #expect(first == second)
        let text = String(decoding: first, as: UTF8.self)
        #expect(text.hasPrefix("{\n\t\"ociVersion\": \"1.2.0\",\n\t\"process\": {"))
        #expect(text.hasSuffix("\n}"))
        #expect(text.contains("\"annotations\": {\n\t\t\"a\": \"2\",\n\t\t\"m\": \"3\",\n\t\t\"z\": \"1\"\n\t},"))
        #expect(text.contains("\"/proc/sysrq-trigger\""))  // slashes are not escaped
        #expect(try SpecLoader.decode(first) == spec)
    }
}
