// A Swift program that embeds berth: `import Berth`, then the container lifecycle as
// plain synchronous calls, without spawning a CLI. It runs the bundle's process with its
// output captured through pipes and reads its exit status without polling, then execs a
// process into a second, long-running container made from the same bundle.
//
//   berth-embed-example BUNDLE [ID [ROOT]]     (ROOT: the state root, default /run/berth)
import Berth
import Glibc

/// Everything readable from `fd` until end of file; closes it.
func readAll(_ fd: Int32) -> String {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        bytes += buffer[0..<n]
    }
    close(fd)
    return String(decoding: bytes, as: UTF8.self)
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: berth-embed-example BUNDLE [ID [ROOT]]")
    exit(2)
}
let bundle = arguments[1]
let runtime = ContainerRuntime(root: arguments.count > 3 ? arguments[3] : "/run/berth")
let id = arguments.count > 2 ? arguments[2] : "embed-\(getpid())"
do {
    // 1. The bundle's own process, its stdout and stderr captured.
    let container = try runtime.create(id: id, bundle: bundle, options: CreateOptions(io: .pipes))
    guard let process = container.initProcess, let input = process.standardInput,
        let output = process.standardOutput, let errors = process.standardError
    else { exit(1) }
    print("created \(id): \(try container.state().status.rawValue), init pid \(process.pid)")
    close(input)
    try container.start()
    let said = readAll(output)
    let complained = readAll(errors)
    let status = try container.wait()
    print("\(id) wrote \(said.split(separator: "\n").count) lines to stdout, \(complained.count) bytes to stderr:")
    print(said, terminator: "")
    print("\(id) exited with status \(status.code)")
    try container.delete()
    print("deleted \(id)")

    // 2. A container from the same bundle that sleeps, and a process exec'd into it.
    var spec = try Spec.load(bundle: bundle)
    var root = spec.root ?? Root(path: "rootfs")
    if !root.path.hasPrefix("/") {
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX))
        guard realpath(bundle, &resolved) != nil else { exit(1) }
        let bytes = resolved.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        root.path = String(decoding: bytes, as: UTF8.self) + "/" + root.path
    }
    spec.root = root
    spec.process?.terminal = false
    spec.process?.args = ["sleep", "60"]
    let idleBundle = "/tmp/\(id)-bundle"
    try spec.save(bundle: idleBundle)
    defer { unlink(idleBundle + "/config.json"); rmdir(idleBundle) }
    let idle = try runtime.create(id: id + "-idle", bundle: idleBundle)
    try idle.start()
    var command = spec.process ?? Process(args: [])
    command.args = ["sh", "-c", "echo exec in $(hostname), pid $$ of $(ls /proc | grep -c '^[0-9]') processes; exit 7"]
    let exec = try idle.exec(command, io: .pipes)
    close(exec.standardInput!)
    close(exec.standardError!)
    print(readAll(exec.standardOutput!), terminator: "")
    print("exec exited with status \(try exec.wait().code)")
    try idle.kill(SIGKILL)
    print("\(id)-idle's init was killed by signal \(try idle.wait().signal ?? 0)")
    try idle.delete()
    print("deleted \(id)-idle")
} catch {
    print("berth-embed-example: \(error)")
    exit(1)
}
