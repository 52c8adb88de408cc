// A Swift program that embeds berth: `import Berth`, then the container lifecycle as
// plain synchronous calls, without spawning a CLI.
//
//   berth-embed-example BUNDLE [ID]
import Berth
import Glibc

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: berth-embed-example BUNDLE [ID]")
    exit(2)
}
let runtime = ContainerRuntime(root: "/run/berth")
let id = arguments.count > 2 ? arguments[2] : "embed-\(getpid())"
do {
    let container = try runtime.create(id: id, bundle: arguments[1])
    print("created \(id): \(try container.state().status.rawValue), init pid \(try container.state().pid)")
    try container.start()
    while try container.state().status != .stopped { usleep(10_000) }
    print("\(id) stopped")
    try container.delete()
    print("deleted \(id)")
} catch {
    print("berth-embed-example: \(error)")
    exit(1)
}
