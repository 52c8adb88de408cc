import BerthSpec
import Testing

@testable import Berth

@Suite struct InitLayerTests {
    func layer(hostname: String? = "web", annotations: [String: String]? = nil, newNetwork: Bool = true) -> InitLayer {
        var spec = Spec.defaultSpec()
        spec.hostname = hostname
        spec.annotations = annotations
        return InitLayer(spec: spec, id: "c1", newNetwork: newNetwork)
    }

    @Test func hostsHasLoopbackAndHostname() {
        let text = layer().hosts(hostname: "web")
        #expect(text.contains("127.0.0.1\tlocalhost\n"))
        #expect(text.contains("::1\tlocalhost"))
        #expect(text.contains("127.0.1.1\tweb\n"))
    }

    @Test func extraHostsFromAnnotation() {
        let text = layer(annotations: ["org.berth.hosts.extra": "10.0.0.5 db, 10.0.0.6 cache cache.local"]).hosts(hostname: "web")
        #expect(text.contains("10.0.0.5\tdb\n"))
        #expect(text.contains("10.0.0.6\tcache\tcache.local\n"))
    }

    @Test func hostnameFallsBackToID() {
        let files = layer(hostname: nil).files()
        #expect(files.first { $0.path == "/etc/hostname" }?.content == "c1\n")
    }

    @Test func loopbackNameserversDroppedInNewNetworkNamespace() {
        let host = "# generated\nnameserver 127.0.0.53\nnameserver 10.1.1.1\nsearch corp.example\noptions edns0\n"
        let text = layer().resolvConf(host: host)
        #expect(!text.contains("127.0.0.53"))
        #expect(text.contains("nameserver 10.1.1.1\n"))
        #expect(text.contains("search corp.example\n"))
        #expect(text.contains("options edns0\n"))
    }

    @Test func loopbackNameserversKeptOnHostNetwork() {
        let text = layer(newNetwork: false).resolvConf(host: "nameserver 127.0.0.53\n")
        #expect(text.contains("nameserver 127.0.0.53\n"))
    }

    @Test func annotationsOverrideResolvConf() {
        let l = layer(annotations: [
            "org.berth.dns.nameservers": "1.1.1.1,8.8.8.8",
            "org.berth.dns.search": "example.com", "org.berth.dns.options": "ndots:2",
        ])
        let text = l.resolvConf(host: "nameserver 10.1.1.1\nsearch corp\n")
        #expect(text == "search example.com\nnameserver 1.1.1.1\nnameserver 8.8.8.8\noptions ndots:2\n")
    }
}
