import CBerth
import Glibc
import SystemPackage

/// A network device as rtnetlink reports it.
public struct NetworkLink: Sendable, Equatable {
    /// The interface index (unique per network namespace).
    public var index: Int32
    public var name: String
    /// `IFF_*` flags (`IFF_UP`, ...).
    public var flags: UInt32
    public var mtu: UInt32?
    /// The hardware (MAC) address.
    public var hardwareAddress: [UInt8]

    /// The administrative state (`IFF_UP`).
    public var isUp: Bool { flags & UInt32(IFF_UP) != 0 }
}

/// An address of a network device (`ip address`), as rtnetlink reports it and as it is
/// added back: family, prefix length, scope and the address attributes.
public struct InterfaceAddress: Sendable, Equatable {
    /// `AF_INET` or `AF_INET6`.
    public var family: UInt8
    public var prefixLength: UInt8
    /// `RT_SCOPE_*`.
    public var scope: UInt8
    /// `IFA_F_*` flags (the 32-bit `IFA_FLAGS` attribute when present).
    public var flags: UInt32
    /// `IFA_LOCAL`: the interface's own address (IPv4; for point-to-point links the
    /// `address` below is then the peer's).
    public var local: [UInt8]?
    /// `IFA_ADDRESS`.
    public var address: [UInt8]?
    /// `IFA_BROADCAST` (IPv4).
    public var broadcast: [UInt8]?

    public init(
        family: UInt8, prefixLength: UInt8, scope: UInt8, flags: UInt32 = 0,
        local: [UInt8]? = nil, address: [UInt8]? = nil, broadcast: [UInt8]? = nil
    ) {
        self.family = family
        self.prefixLength = prefixLength
        self.scope = scope
        self.flags = flags
        self.local = local
        self.address = address
        self.broadcast = broadcast
    }

    /// Configured by hand (no lifetime), not by autoconfiguration or DHCP.
    public var isPermanent: Bool { flags & UInt32(IFA_F_PERMANENT) != 0 }
    /// Global scope (`RT_SCOPE_UNIVERSE`), the only addresses that mean the same in any
    /// network namespace.
    public var isGlobal: Bool { UInt32(scope) == RT_SCOPE_UNIVERSE.rawValue }

    /// `10.1.2.3/24` or `2001:db8::1/64`, for messages.
    public var text: String {
        let bytes = local ?? address ?? []
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let ok = bytes.withUnsafeBytes { inet_ntop(Int32(family), $0.baseAddress, &buf, socklen_t(buf.count)) != nil }
        let host = ok ? String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
        return "\(host)/\(prefixLength)"
    }
}

/// A NETLINK_ROUTE socket for the link and address requests berth needs (the `ip link` /
/// `ip address` subset): find a link, set it up or down, move and rename it into another
/// network namespace, list and add its addresses.
///
/// A netlink socket belongs to the network namespace it was created in, whatever the
/// process does afterwards: `open(inNamespace:)` makes one inside another namespace and
/// returns with the caller back in its own, so one single-threaded process can talk to
/// several namespaces without staying in any of them.
public final class RouteNetlink {
    public let fd: Int32
    private var sequence: UInt32 = 0

    private init(fd: Int32) { self.fd = fd }

    deinit { Glibc.close(fd) }

    /// A socket in the calling thread's network namespace.
    public static func open() throws(SyscallError) -> RouteNetlink {
        let fd = try sys("socket", "NETLINK_ROUTE") {
            socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_ROUTE)
        }
        return RouteNetlink(fd: fd)
    }

    /// A socket in the network namespace `namespaceFD` refers to. The caller is moved
    /// there for the socket(2) call only (setns needs CAP_SYS_ADMIN over the namespace's
    /// owner), and back at once.
    public static func open(inNamespace namespaceFD: Int32) throws(SyscallError) -> RouteNetlink {
        let own = try sys("open", "/proc/thread-self/ns/net") {
            Glibc.open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        }
        defer { Glibc.close(own) }
        try sys("setns", "network namespace") { berth_setns(namespaceFD, Namespace.network.cloneFlag) }
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_ROUTE)
        let socketErrno = currentErrno()
        // Back home before anything else: the caller's own sockets and children must not
        // land in the container's namespace.
        if berth_setns(own, Namespace.network.cloneFlag) != 0 {
            let e = currentErrno()
            if fd >= 0 { Glibc.close(fd) }
            throw SyscallError("setns", "/proc/thread-self/ns/net", errno: e)
        }
        if fd < 0 { throw SyscallError("socket", "NETLINK_ROUTE", errno: socketErrno) }
        return RouteNetlink(fd: fd)
    }

    // MARK: links

    /// The link called `name`; ENODEV when there is none.
    public func link(named name: String) throws(SyscallError) -> NetworkLink {
        var message = NetlinkMessage(type: RTM_GETLINK, flags: NLM_F_REQUEST)
        message.append(ifinfomsg())
        message.attribute(IFLA_IFNAME, string: name)
        guard let link = try request(message, path: name).compactMap(Self.parseLink).first else {
            throw SyscallError("RTM_GETLINK", name, errno: Errno(rawValue: ENODEV))
        }
        return link
    }

    /// The link with interface index `index`; ENODEV when there is none.
    public func link(index: Int32) throws(SyscallError) -> NetworkLink {
        var message = NetlinkMessage(type: RTM_GETLINK, flags: NLM_F_REQUEST)
        var info = ifinfomsg()
        info.ifi_index = index
        message.append(info)
        guard let link = try request(message, path: "ifindex \(index)").compactMap(Self.parseLink).first else {
            throw SyscallError("RTM_GETLINK", "ifindex \(index)", errno: Errno(rawValue: ENODEV))
        }
        return link
    }

    /// Every link in the namespace.
    public func links() throws(SyscallError) -> [NetworkLink] {
        var message = NetlinkMessage(type: RTM_GETLINK, flags: NLM_F_REQUEST | NLM_F_DUMP)
        message.append(ifinfomsg())
        return try request(message, path: "links").compactMap(Self.parseLink)
    }

    /// Sets or clears `IFF_UP` (`ip link set up|down`).
    public func setLink(index: Int32, up: Bool, name: String) throws(SyscallError) {
        var message = NetlinkMessage(type: RTM_NEWLINK, flags: NLM_F_REQUEST | NLM_F_ACK)
        var info = ifinfomsg()
        info.ifi_index = index
        info.ifi_flags = up ? UInt32(IFF_UP) : 0
        info.ifi_change = UInt32(IFF_UP)
        message.append(info)
        _ = try request(message, path: name)
    }

    /// Moves the link into the network namespace `namespaceFD` and names it `newName`
    /// there, in one request (`ip link set DEV netns NS name NEW`): the kernel renames
    /// after the move, so a name taken in this namespace does not matter, and a name
    /// taken in the target fails with EEXIST. A name with `%d` is a template the kernel
    /// fills in.
    public func moveLink(index: Int32, name: String, to namespaceFD: Int32, newName: String) throws(SyscallError) {
        var message = NetlinkMessage(type: RTM_NEWLINK, flags: NLM_F_REQUEST | NLM_F_ACK)
        var info = ifinfomsg()
        info.ifi_index = index
        message.append(info)
        message.attribute(IFLA_IFNAME, string: newName)
        message.attribute(IFLA_NET_NS_FD, uint32: UInt32(bitPattern: namespaceFD))
        _ = try request(message, path: name)
    }

    // MARK: addresses

    /// The addresses of the link with index `index`, every family.
    public func addresses(ofLink index: Int32) throws(SyscallError) -> [InterfaceAddress] {
        var message = NetlinkMessage(type: RTM_GETADDR, flags: NLM_F_REQUEST | NLM_F_DUMP)
        message.append(ifaddrmsg())
        var found: [InterfaceAddress] = []
        for reply in try request(message, path: "addresses") {
            guard reply.type == RTM_NEWADDR, reply.body.count >= MemoryLayout<ifaddrmsg>.size else { continue }
            let header = reply.body.withUnsafeBytes { $0.loadUnaligned(as: ifaddrmsg.self) }
            guard Int32(bitPattern: header.ifa_index) == index else { continue }
            var address = InterfaceAddress(
                family: header.ifa_family, prefixLength: header.ifa_prefixlen,
                scope: header.ifa_scope, flags: UInt32(header.ifa_flags))
            for (type, value) in Self.attributes(reply.body.dropFirst(MemoryLayout<ifaddrmsg>.size)) {
                switch type {
                case IFA_LOCAL: address.local = value
                case IFA_ADDRESS: address.address = value
                case IFA_BROADCAST: address.broadcast = value
                case IFA_FLAGS where value.count >= 4: address.flags = value.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
                default: break
                }
            }
            found.append(address)
        }
        return found
    }

    /// Adds `address` to the link with index `index` (`ip address add`). Only the address,
    /// prefix, peer and broadcast are given: lifetimes and kernel-managed flags are not.
    public func addAddress(_ address: InterfaceAddress, toLink index: Int32, name: String) throws(SyscallError) {
        var message = NetlinkMessage(type: RTM_NEWADDR, flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL)
        var header = ifaddrmsg()
        header.ifa_family = address.family
        header.ifa_prefixlen = address.prefixLength
        header.ifa_scope = address.scope
        header.ifa_index = UInt32(bitPattern: index)
        message.append(header)
        if let local = address.local { message.attribute(IFA_LOCAL, local) }
        if let peer = address.address { message.attribute(IFA_ADDRESS, peer) }
        if let broadcast = address.broadcast { message.attribute(IFA_BROADCAST, broadcast) }
        _ = try request(message, path: "\(address.text) on \(name)")
    }

    // MARK: request and reply

    struct Reply {
        var type: Int
        var body: [UInt8]
    }

    /// Sends `message` and collects the replies to it: the messages before the ack of a
    /// plain request, or every part of a dump. A negative error in the ack is thrown.
    private func request(_ message: NetlinkMessage, path: String) throws(SyscallError) -> [Reply] {
        sequence &+= 1
        let seq = sequence
        let bytes = message.bytes(sequence: seq)
        let operation = NetlinkMessage.name(of: message.type)
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        if sent < 0 { throw SyscallError(operation, path, errno: currentErrno()) }
        let dump = message.flags & UInt16(NLM_F_DUMP) == UInt16(NLM_F_DUMP)
        var replies: [Reply] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            var from = sockaddr_nl()
            var fromLength = socklen_t(MemoryLayout<sockaddr_nl>.size)
            let n = buffer.withUnsafeMutableBytes { buf in
                withUnsafeMutablePointer(to: &from) { p in
                    p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(fd, buf.baseAddress, buf.count, 0, $0, &fromLength)
                    }
                }
            }
            if n < 0 {
                if currentErrno() == .interrupted { continue }
                throw SyscallError(operation, path, errno: currentErrno())
            }
            // Only the kernel (port 0) answers; anything else on our port is ignored.
            guard from.nl_pid == 0 else { continue }
            var offset = 0
            let headerSize = MemoryLayout<nlmsghdr>.size
            while offset + headerSize <= n {
                let header = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: nlmsghdr.self) }
                let length = Int(header.nlmsg_len)
                guard length >= headerSize, offset + length <= n else { break }
                defer { offset += (length + 3) & ~3 }
                guard header.nlmsg_seq == seq else { continue }
                let body = Array(buffer[(offset + headerSize)..<(offset + length)])
                switch Int32(header.nlmsg_type) {
                case NLMSG_ERROR:
                    let code = body.count >= 4 ? body.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) } : -EPROTO
                    if code != 0 { throw SyscallError(operation, path, errno: Errno(rawValue: -code)) }
                    return replies
                case NLMSG_DONE:
                    return replies
                default:
                    replies.append(Reply(type: Int(header.nlmsg_type), body: body))
                    if !dump && header.nlmsg_flags & UInt16(NLM_F_MULTI) == 0 && message.flags & UInt16(NLM_F_ACK) == 0 {
                        return replies
                    }
                }
            }
        }
    }

    /// The `(type, value)` pairs of a run of rtattrs.
    static func attributes(_ bytes: ArraySlice<UInt8>) -> [(Int, [UInt8])] {
        var result: [(Int, [UInt8])] = []
        var offset = bytes.startIndex
        let headerSize = MemoryLayout<rtattr>.size
        while offset + headerSize <= bytes.endIndex {
            let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
            let type = Int(bytes[offset + 2]) | Int(bytes[offset + 3]) << 8
            guard length >= headerSize, offset + length <= bytes.endIndex else { break }
            // NLA_F_NESTED and NLA_F_NET_BYTEORDER live in the top bits of the type.
            result.append((type & ~(Int(NLA_F_NESTED) | Int(NLA_F_NET_BYTEORDER)), Array(bytes[(offset + headerSize)..<(offset + length)])))
            offset += (length + 3) & ~3
        }
        return result
    }

    static func parseLink(_ reply: Reply) -> NetworkLink? {
        guard reply.type == RTM_NEWLINK, reply.body.count >= MemoryLayout<ifinfomsg>.size else { return nil }
        let info = reply.body.withUnsafeBytes { $0.loadUnaligned(as: ifinfomsg.self) }
        var link = NetworkLink(index: info.ifi_index, name: "", flags: info.ifi_flags, mtu: nil, hardwareAddress: [])
        for (type, value) in attributes(reply.body.dropFirst(MemoryLayout<ifinfomsg>.size)) {
            switch type {
            case IFLA_IFNAME: link.name = String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
            case IFLA_MTU where value.count >= 4: link.mtu = value.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
            case IFLA_ADDRESS: link.hardwareAddress = value
            default: break
            }
        }
        return link
    }
}

/// One rtnetlink request being built: the nlmsghdr, the family header and the rtattrs,
/// each 4-byte aligned as NLMSG_ALIGN and RTA_ALIGN require.
struct NetlinkMessage {
    let type: Int
    let flags: UInt16
    private var payload: [UInt8] = []

    init(type: Int, flags: Int32) {
        self.type = type
        self.flags = UInt16(flags)
    }

    mutating func append<T>(_ value: T) {
        withUnsafeBytes(of: value) { payload += $0 }
        pad()
    }

    mutating func attribute(_ type: Int, _ value: [UInt8]) {
        var header = rtattr()
        header.rta_len = UInt16(MemoryLayout<rtattr>.size + value.count)
        header.rta_type = UInt16(type)
        withUnsafeBytes(of: header) { payload += $0 }
        payload += value
        pad()
    }

    mutating func attribute(_ type: Int, string: String) {
        attribute(type, Array(string.utf8) + [0])
    }

    mutating func attribute(_ type: Int, uint32: UInt32) {
        attribute(type, withUnsafeBytes(of: uint32) { Array($0) })
    }

    private mutating func pad() {
        while payload.count % 4 != 0 { payload.append(0) }
    }

    func bytes(sequence: UInt32) -> [UInt8] {
        var header = nlmsghdr()
        header.nlmsg_len = UInt32(MemoryLayout<nlmsghdr>.size + payload.count)
        header.nlmsg_type = UInt16(type)
        header.nlmsg_flags = flags
        header.nlmsg_seq = sequence
        return withUnsafeBytes(of: header) { Array($0) } + payload
    }

    static func name(of type: Int) -> String {
        switch type {
        case RTM_GETLINK: return "RTM_GETLINK"
        case RTM_NEWLINK: return "RTM_NEWLINK"
        case RTM_GETADDR: return "RTM_GETADDR"
        case RTM_NEWADDR: return "RTM_NEWADDR"
        default: return "rtnetlink \(type)"
        }
    }
}
