import BerthSpec
import BerthSystem
import Glibc

/// One host network device of `linux.netDevices`, as state.json records it, so that
/// `delete` can bring it back without the bundle.
struct NetDeviceRecord: Codable, Sendable, Equatable {
    /// The name on the host (the config's key); the device gets it back on the way home.
    var hostName: String
    /// The name asked for in the container (`%d` in it is a template the kernel fills in).
    var name: String
    /// The hardware address it had, to find it again when its name is not known (a
    /// template, or a failed rename).
    var hardwareAddress: [UInt8]
    /// It was up on the host: it is set up again when it comes back.
    var wasUp: Bool
}

/// `linux.netDevices`: host network devices moved into the container's network namespace
/// and back, over rtnetlink, by the parent (which holds the host's privileges; the init
/// may be an unprivileged uid in a user namespace that does not own the host's network).
///
/// Moving a device into another namespace drops its addresses (the kernel flushes them
/// on the way out) but keeps its MTU, hardware address and other link attributes. So
/// each move lists the device's permanent, globally scoped addresses first (before the
/// device is set down, which flushes IPv6 addresses) and adds them again on the other
/// side, as the runtime spec asks; then the device is set up in the container, and on
/// the way back it is set up only if it was up on the host before.
///
/// When the namespace's last process exits, the kernel destroys the virtual devices in it
/// (a veth takes its peer along) and returns physical ones under their container name.
/// berth brings devices back on `delete` instead, also after the container has died: a
/// network namespace berth creates for such a container is kept alive by a bind mount in
/// the state directory (`StateStore.networkPin`, as `ip netns` pins its namespaces) until
/// `delete` has moved the devices out; a joined namespace is kept alive by its owner.
/// (The runtime spec and runc 1.3+ leave the devices to the namespace's lifecycle instead.)
enum NetDevices {
    /// The devices of `devices`, looked up on the host before anything is created, so a
    /// missing one fails `create` with nothing to undo.
    static func inspect(_ devices: [String: LinuxNetDevice]) throws(BerthError) -> [NetDeviceRecord] {
        let host: RouteNetlink
        do throws(SyscallError) { host = try RouteNetlink.open() } catch {
            throw BerthError.system("linux.netDevices", error)
        }
        var records: [NetDeviceRecord] = []
        for (hostName, device) in devices.sorted(by: { $0.key < $1.key }) {
            do throws(SyscallError) {
                let link = try host.link(named: hostName)
                let name = (device.name ?? "").isEmpty ? hostName : device.name!
                records.append(
                    NetDeviceRecord(
                        hostName: hostName, name: name, hardwareAddress: link.hardwareAddress,
                        wasUp: link.isUp))
            } catch {
                throw BerthError(
                    .invalidSpec, "linux.netDevices: link not found for interface \(hostName) on runtime namespace: \(errnoText(error.errno))",
                    errno: error.errno.rawValue)
            }
        }
        return records
    }

    /// Keeps the new network namespace of `pid` alive after its processes are gone: a
    /// bind mount of `/proc/<pid>/ns/net` on the state directory's pin file. Returns its path.
    static func pin(pid: Int32, directory: String) throws(BerthError) -> String {
        let path = directory + "/" + StateStore.networkPin
        do throws(SyscallError) {
            let fd = try FileIO.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: 0o400)
            close(fd)
            try MountTable.mount(source: "/proc/\(pid)/ns/net", target: path, type: nil, flags: UInt(MS_BIND))
        } catch {
            throw BerthError.system("linux.netDevices: keep the network namespace", error)
        }
        return path
    }

    /// Moves the devices into the network namespace at `namespacePath`, as runc does:
    /// down on the host, addresses noted, moved and renamed in one request, addresses
    /// added again inside, then up.
    static func moveIn(_ records: [NetDeviceRecord], namespacePath path: String) throws(BerthError) {
        let nsFD = open(path, O_RDONLY | O_CLOEXEC)
        guard nsFD >= 0 else {
            let e = currentErrno()
            throw BerthError(
                .system, "linux.netDevices: could not get network namespace from path \(path): \(errnoText(e))",
                errno: e.rawValue)
        }
        defer { close(nsFD) }
        let host: RouteNetlink
        let inside: RouteNetlink
        do throws(SyscallError) {
            host = try RouteNetlink.open()
            inside = try RouteNetlink.open(inNamespace: nsFD)
        } catch { throw BerthError.system("linux.netDevices", error) }

        for record in records {
            func fail(_ what: String, _ error: SyscallError) -> BerthError {
                BerthError(.system, "linux.netDevices: \(what): \(errnoText(error.errno))", errno: error.errno.rawValue)
            }
            let link: NetworkLink
            do throws(SyscallError) { link = try host.link(named: record.hostName) } catch {
                throw fail("link not found for interface \(record.hostName) on runtime namespace", error)
            }
            // The runtime spec: a name already taken in the container's namespace is an
            // error (a template is the kernel's to resolve).
            if !record.name.contains("%"), (try? inside.link(named: record.name)) != nil {
                throw BerthError(
                    .invalidSpec,
                    "linux.netDevices[\"\(record.hostName)\"]: a network device named \(record.name) already exists in the container's network namespace"
                )
            }
            // Addresses first: setting a device down flushes its IPv6 addresses (unless
            // the host keeps them with net.ipv6.conf.*.keep_addr_on_down).
            let addresses: [InterfaceAddress]
            do throws(SyscallError) {
                addresses = try host.addresses(ofLink: link.index).filter { $0.isPermanent && $0.isGlobal }
            } catch { throw fail("fail to get ip addresses", error) }
            do throws(SyscallError) {
                if link.isUp { try host.setLink(index: link.index, up: false, name: record.hostName) }
            } catch { throw fail("fail to set link down", error) }
            do throws(SyscallError) {
                try host.moveLink(index: link.index, name: record.hostName, to: nsFD, newName: record.name)
            } catch { throw fail("fail to move network device \(record.hostName) to network namespace \(path)", error) }
            guard let moved = find(record, previousIndex: link.index, in: inside) else {
                throw BerthError(.system, "linux.netDevices: link not found for interface \(record.name) on namespace \(path)")
            }
            for address in addresses {
                do throws(SyscallError) { try inside.addAddress(address, toLink: moved.index, name: moved.name) } catch {
                    throw fail("fail to set up address \(address.text) on namespace \(path)", error)
                }
            }
            do throws(SyscallError) { try inside.setLink(index: moved.index, up: true, name: moved.name) } catch {
                throw fail("fail to set up interface \(moved.name) on namespace \(path)", error)
            }
        }
    }

    /// Moves the devices that are still in the namespace at `namespacePath` back to the
    /// caller's (the host's) namespace under their host names, with their addresses, and
    /// sets up those that were up. Never fails: what cannot come back is reported to `warn`
    /// (the kernel then deals with it when the namespace goes: see the type's comment).
    static func moveBack(_ records: [NetDeviceRecord], namespacePath path: String, warn: (String) -> Void) {
        guard !records.isEmpty else { return }
        let nsFD = open(path, O_RDONLY | O_CLOEXEC)
        // No namespace any more (never pinned, or already released): nothing to bring back.
        guard nsFD >= 0 else { return }
        defer { close(nsFD) }
        let hostFD = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard hostFD >= 0 else { return }
        defer { close(hostFD) }
        let host: RouteNetlink
        let inside: RouteNetlink
        do throws(SyscallError) {
            host = try RouteNetlink.open()
            inside = try RouteNetlink.open(inNamespace: nsFD)
        } catch {
            warn("linux.netDevices: cannot reach the container's network namespace to move devices back: \(error)")
            return
        }
        for record in records {
            // Gone with the container (deleted inside, or never moved in).
            guard let link = find(record, previousIndex: nil, in: inside) else { continue }
            do throws(SyscallError) {
                let addresses = try inside.addresses(ofLink: link.index).filter { $0.isPermanent && $0.isGlobal }
                if link.isUp { try inside.setLink(index: link.index, up: false, name: link.name) }
                try inside.moveLink(index: link.index, name: link.name, to: hostFD, newName: record.hostName)
                let back = try host.link(named: record.hostName)
                for address in addresses {
                    do throws(SyscallError) { try host.addAddress(address, toLink: back.index, name: back.name) } catch {
                        // Someone gave the host that address meanwhile: the device still comes back.
                        if error.errno != .fileExists { throw error }
                    }
                }
                if record.wasUp { try host.setLink(index: back.index, up: true, name: back.name) }
            } catch {
                warn("linux.netDevices: could not move \(link.name) back to the host as \(record.hostName): \(error)")
            }
        }
    }

    /// The device of `record` in the namespace `socket` talks to, known by its hardware
    /// address: at the index it had (kept across a move when free there), under the name
    /// it should have, or else anywhere (a template name, a failed rename, a name changed
    /// inside). A device without a hardware address is looked for under its name only; one
    /// whose address was changed inside is not found (and stays to the namespace's fate);
    /// another device that merely carries the name is never taken.
    private static func find(_ record: NetDeviceRecord, previousIndex: Int32?, in socket: RouteNetlink) -> NetworkLink? {
        let mac = record.hardwareAddress
        if let index = previousIndex, let link = try? socket.link(index: index), link.hardwareAddress == mac {
            return link
        }
        if !record.name.contains("%"), let link = try? socket.link(named: record.name), link.hardwareAddress == mac {
            return link
        }
        guard mac.contains(where: { $0 != 0 }) else { return nil }
        return (try? socket.links())?.first { $0.hardwareAddress == mac && $0.flags & UInt32(IFF_LOOPBACK) == 0 }
    }
}
