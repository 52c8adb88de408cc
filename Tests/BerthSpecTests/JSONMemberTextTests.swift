import Testing

@testable import BerthSpec

/// Top-level members left as text (state.json's config, read only by what needs it).
@Suite struct JSONMemberTextTests {
    static func parse(_ text: String, leaving key: String) throws -> (JSONValue, [JSONMemberText]) {
        var texts: [JSONMemberText] = []
        let value = try JSONValue.parse(Array(text.utf8), leavingAsText: { $0 == key }, texts: &texts)
        return (value, texts)
    }

    @Test func theMemberComesBackAsItsTextAndTheRestIsParsed() throws {
        let doc = #"{"id":"a","config":{"s":"}]\"{[","n":[1,{"x":null}],"e":"\\"},"pid":7}"#
        let (value, texts) = try Self.parse(doc, leaving: "config")
        guard case .object(let o) = value else { Issue.record("not an object"); return }
        #expect(o["id"] == .string("a"))
        #expect(o["pid"] == .number("7"))
        #expect(o["config"] == .null)
        #expect(texts.count == 1 && texts[0].key == "config")
        let text = String(decoding: texts[0].text, as: UTF8.self)
        #expect(text == #"{"s":"}]\"{[","n":[1,{"x":null}],"e":"\\"}"#)
        // The text is the member's value exactly: it parses as the full parser reads it.
        #expect(try JSONValue.parse(texts[0].text) == (try JSONValue.parse(Array(doc.utf8))).objectMember("config"))
    }

    @Test func scalarsNestedMembersAndMissingOnes() throws {
        let (_, scalar) = try Self.parse(#"{"config":"text","other":{"config":1}}"#, leaving: "config")
        #expect(scalar.map(\.key) == ["config"])
        #expect(String(decoding: scalar[0].text, as: UTF8.self) == #""text""#)
        let (_, none) = try Self.parse(#"{"id":"a"}"#, leaving: "config")
        #expect(none.isEmpty)
    }

    @Test func aDocumentCutShortFails() {
        for doc in [#"{"id":"a","config":{"s":"x"#, #"{"config":{"a":[1,2"#, #"{"config":{"a":"\"#, #"{"config":"#] {
            #expect(throws: JSONSyntaxError.self) { try Self.parse(doc, leaving: "config") }
        }
    }
}

extension JSONValue {
    fileprivate func objectMember(_ key: String) -> JSONValue? {
        guard case .object(let o) = self else { return nil }
        return o[key]
    }
}

/// config.json's bytes as state.json's `config` member (SpecLoader.objectText): the object
/// without the whitespace around it, or nothing when anything else is there.
@Suite struct ObjectTextTests {
    @Test func theObjectWithoutSurroundingWhitespace() throws {
        let text = Array(" \n\t{\n  \"a\": [1, 2],\n  \"b\": \"x\"\n}\r\n".utf8)
        let object = try #require(SpecLoader.objectText(text))
        #expect(String(decoding: object, as: UTF8.self) == "{\n  \"a\": [1, 2],\n  \"b\": \"x\"\n}")
        // It stands as a member's value: the document around it parses, the member equal
        // to the object parsed alone.
        let around = Array("{\"config\":".utf8) + object + Array("}".utf8)
        guard case .object(let outer) = try JSONValue.parse(around) else {
            Issue.record("not an object")
            return
        }
        #expect(outer["config"] == (try JSONValue.parse(text)))
    }

    @Test(arguments: ["", "  ", "[1]", "\u{FEFF}{}", "{} x", "\"{}\"", "1"])
    func anythingElseGivesNothing(_ text: String) {
        #expect(SpecLoader.objectText(Array(text.utf8)) == nil)
    }
}
