import Testing

@testable import BerthSpec

@Suite struct ContainerIDTests {
    @Test(arguments: ["a", "abc", "A1", "9", "my-container_1.2+3", "x-", String(repeating: "a", count: 1024)])
    func accepts(_ id: String) throws {
        try ContainerID.validate(id)
        #expect(ContainerID.isValid(id))
    }

    @Test(arguments: ["-a", ".hidden", "_x", "+x", "a/b", "..", "a b", "a\n", "é", "a:b", String(repeating: "a", count: 1025)])
    func rejects(_ id: String) {
        #expect(!ContainerID.isValid(id))
        #expect(
            throws: SpecError(
                "invalid container id \"\(id)\": must match [A-Za-z0-9][A-Za-z0-9_.+-]* and be at most 1024 bytes")
        ) {
            try ContainerID.validate(id)
        }
    }

    @Test func rejectsEmpty() {
        #expect(throws: SpecError("container id cannot be empty")) { try ContainerID.validate("") }
        #expect(!ContainerID.isValid(""))
    }
}
