import FoundationEssentials
import Testing

@testable import BerthSpec

@Suite struct LoaderErrorTests {
    private func decodeError(_ json: String) -> String? {
        do {
            _ = try SpecLoader.decode(Array(json.utf8))
            return nil
        } catch {
            return error.message
        }
    }

    @Test func malformedJSONReportsLineAndColumn() {
        #expect(
            decodeError("{\n  \"ociVersion\": \"1.2.0\",\n  \"root\" {}\n}")
                == "config.json: invalid JSON at line 3, column 10: expected ':' after object key, found '{'")
        #expect(
            decodeError("{\n\t\"process\": {\n\t\t\"args\": [\"sh\" \"x\"]\n\t}\n}")
                == "config.json: invalid JSON at line 3, column 17: expected ',' or ']' after array element, found '\"'")
        #expect(decodeError("") == "config.json: invalid JSON at line 1, column 1: unexpected end of input")
        #expect(decodeError("{\"a\": tru}") == "config.json: invalid JSON at line 1, column 7: invalid literal, expected 'true'")
        #expect(decodeError("{\"a\": 1}\n x") == "config.json: invalid JSON at line 2, column 2: unexpected 'x' after the top-level value")
        #expect(decodeError(#"{"hostname": "x\q"}"#) == #"config.json: invalid JSON at line 1, column 16: invalid escape sequence \q in string"#)
    }

    @Test func columnsCountCharactersNotBytes() {
        // "é" is two bytes but one column.
        #expect(
            decodeError("{\"hostname\": \"é\" ]")
                == "config.json: invalid JSON at line 1, column 18: expected ',' or '}' after object member, found ']'")
    }

    @Test func typeErrorsCarryJSONPath() {
        #expect(decodeError(#"{"process": {"args": [1]}}"#) == "config.json: process.args[0]: expected String")
        #expect(decodeError(#"{"ociVersion": 1}"#) == "config.json: ociVersion: expected String")
        #expect(decodeError(#"{"linux": {"namespaces": "pid"}}"#) == "config.json: linux.namespaces: expected array")
        #expect(
            decodeError(#"{"linux": {"sysctl": {"net.core.somaxconn": 1}}}"#) == #"config.json: linux.sysctl["net.core.somaxconn"]: expected String"#)
        #expect(
            decodeError(#"{"mounts": [{"destination": "/a"}, {"destination": "/b", "options": [true]}]}"#)
                == "config.json: mounts[1].options[0]: expected String")
        #expect(decodeError(#"{"process": {"user": "root"}}"#) == "config.json: process.user: expected object")
        #expect(decodeError(#"[]"#) == "config.json: expected object")
    }

    @Test func outOfRangeNumbersCarryJSONPath() {
        #expect(decodeError(#"{"process": {"user": {"uid": -1}}}"#) == "config.json: process.user.uid: number -1 is out of range")
        #expect(decodeError(#"{"process": {"user": {"uid": 4294967296}}}"#) == "config.json: process.user.uid: number 4294967296 is out of range")
        #expect(
            decodeError(#"{"process": {"rlimits": [{"type": "RLIMIT_CORE", "hard": 1.5, "soft": 0}]}}"#)
                == "config.json: process.rlimits[0].hard: number 1.5 is out of range")
        #expect(
            decodeError(#"{"linux": {"resources": {"blockIO": {"weight": 70000}}}}"#)
                == "config.json: linux.resources.blockIO.weight: number 70000 is out of range")
        #expect(
            decodeError(#"{"linux": {"timeOffsets": {"boottime": {"nanosecs": -5}}}}"#)
                == #"config.json: linux.timeOffsets["boottime"].nanosecs: number -5 is out of range"#)
        // Values that fit still decode.
        #expect(
            decodeError(
                #"{"process": {"rlimits": [{"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 0}]}, "linux": {"resources": {"memory": {"swap": -1}}}}"#
            ) == nil)
    }

    @Test func missingFileIsReportedLikeRunc() {
        let bundle = "/nonexistent-berth-bundle-\(UInt32.random(in: 0...UInt32.max))"
        #expect(throws: SpecError("open \(bundle)/config.json: no such file or directory")) {
            try SpecLoader.load(bundle: bundle)
        }
    }

    @Test func loadsFromBundleDirectory() throws {
        let dir = FileManager.default.temporaryDirectory.appending(path: "berth-spec-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(runcDefaultConfig.utf8).write(to: dir.appending(path: "config.json"))
        let spec = try SpecLoader.load(bundle: dir.path)
        #expect(spec.hostname == "runc")
        #expect(try SpecLoader.load(bundle: dir.path + "/") == spec)
        #expect(SpecLoader.configPath(bundle: "/b/") == "/b/config.json")
        #expect(SpecLoader.configPath(bundle: "/b") == "/b/config.json")

        let isDir = dir.appending(path: "sub")
        try FileManager.default.createDirectory(at: isDir.appending(path: "config.json"), withIntermediateDirectories: true)
        #expect(throws: SpecError("read \(isDir.path)/config.json: is a directory")) {
            try SpecLoader.load(bundle: isDir.path)
        }
    }
}
