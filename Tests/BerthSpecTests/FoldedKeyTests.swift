import BerthSpec
import Testing

/// `linux.resources` keys are matched as Go's encoding/json (runc) matches them.
@Suite struct FoldedKeyTests {
    func resources(_ json: String) throws(SpecError) -> LinuxResources? {
        try SpecLoader.decode(Array(#"{"ociVersion":"1.2.0","linux":{"resources":\#(json)}}"#.utf8)).linux?.resources
    }

    @Test func pageSizeInAnyCase() throws {
        let r = try resources(#"{"hugepageLimits":[{"pagesize":"2MB","limit":1},{"PAGESIZE":"1GB","LIMIT":2}]}"#)
        #expect(r?.hugepageLimits == [LinuxHugepageLimit(pageSize: "2MB", limit: 1), LinuxHugepageLimit(pageSize: "1GB", limit: 2)])
    }

    @Test func nestedObjectsInAnyCase() throws {
        let r = try resources(#"{"CPU":{"Cpus":"1","Mems":"0","Quota":5000},"Memory":{"Limit":4096},"Pids":{"Limit":3}}"#)
        #expect(r?.cpu == LinuxCPU(quota: 5000, cpus: "1", mems: "0"))
        #expect(r?.memory?.limit == 4096)
        #expect(r?.pids?.limit == 3)
    }

    @Test func exactKeyWins() throws {
        let r = try resources(#"{"cpu":{"cpus":"0"},"CPU":{"cpus":"1"}}"#)
        #expect(r?.cpu?.cpus == "0")
    }

    @Test func mapKeysStayExact() throws {
        let r = try resources(#"{"unified":{"Memory.High":"1G"}}"#)
        #expect(r?.unified == ["Memory.High": "1G"])
    }

    @Test func pidsLimitAbsentIsNil() throws {
        #expect(try resources(#"{"pids":{}}"#)?.pids?.limit == nil)
        #expect(try resources(#"{"pids":{"limit":0}}"#)?.pids?.limit == 0)
    }

    @Test func errorsNameTheKeyAsWritten() {
        #expect(throws: SpecError.self) { try resources(#"{"CPU":{"Shares":"x"}}"#) }
        do { _ = try resources(#"{"CPU":{"Shares":"x"}}"#) } catch {
            #expect(error.message.contains("linux.resources.CPU.Shares"), "\(error.message)")
        }
    }
}
