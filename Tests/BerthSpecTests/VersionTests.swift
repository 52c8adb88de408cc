import Testing

@testable import BerthSpec

struct VersionTests {
    @Test func semverAccepted() {
        for text in [
            "1.0.0", "1.2.0", "1.0.2-dev", "1.1.0-rc.1", "1.0.0-alpha.0.x-y", "1.0.0+build.007", "1.3.0-rc.2+sha.5114f85",
            "0.1.0", "2.0.0", "10.20.30",
        ] {
            #expect(SemanticVersion(text) != nil, "\(text)")
        }
        #expect(SemanticVersion("1.0.2-dev") == SemanticVersion("1.0.2-dev"))
        #expect(SemanticVersion("1.3.0-rc.2+sha.5114f85")?.prerelease == ["rc", "2"])
    }

    @Test func semverRefused() {
        for text in [
            "", "banana", "1", "1.0", "1.0.0.0", "01.0.0", "1.00.0", "1.0.00", "v1.0.0", "1.0.0-", "1.0.0+", "1.0.0-01",
            "1.0.0-a..b", "1.0.0-a_b", "1..0", " 1.0.0", "1.0.0 ", "1.0.0-é", "-1.0.0", "1.-1.0", "99999999999999999999.0.0",
        ] {
            #expect(SemanticVersion(text) == nil, "\(text)")
        }
    }

    private func message(_ version: String) -> String? {
        var s = Spec(ociVersion: version, root: Root(path: "rootfs"))
        s.process = nil
        do throws(SpecError) { try s.validate() } catch { return error.message }
        return nil
    }

    @Test func ociVersionMustBeSemverMajorOne() {
        #expect(message("1.0.2-dev") == nil)
        #expect(message("1.2.0") == nil)
        #expect(message("banana") == #"ociVersion: "banana" is not a SemVer 2.0.0 version (berth runs runtime-spec 1.x configs)"#)
        #expect(message("1.0") == #"ociVersion: "1.0" is not a SemVer 2.0.0 version (berth runs runtime-spec 1.x configs)"#)
        #expect(message("2.0.0") == #"ociVersion: "2.0.0": unsupported major version 2 (berth runs runtime-spec 1.x configs)"#)
        #expect(message("0.5.0") == #"ociVersion: "0.5.0": unsupported major version 0 (berth runs runtime-spec 1.x configs)"#)
        #expect(message("a\nb") == #"ociVersion: "a\nb" is not a SemVer 2.0.0 version (berth runs runtime-spec 1.x configs)"#)
    }
}
