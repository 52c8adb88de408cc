import Glibc

// berth-fuzz: the fuzz targets of FuzzTargets.swift, in two builds.
//
// - Built normally (part of `swift build`, never of the release `berth`): a replay
//   driver. `berth-fuzz TARGET PATH...` runs every file (directories: every file in
//   them) through TARGET; `--mutate N` then runs N deterministic mutations of each seed
//   as well (`make test` uses it for a short pass without libFuzzer).
// - Built with `-sanitize=fuzzer -D BERTH_LIBFUZZER` (`make fuzz`): libFuzzer's driver,
//   with the target named by $BERTH_FUZZ_TARGET and libFuzzer's own flags
//   (`-runs=N`, `-max_total_time=S`, corpus directories).
//
// A crash, trap or hang (SIGALRM after 10 s per input in the replay driver; -timeout
// with libFuzzer) makes the process die: that is the failure.

#if BERTH_LIBFUZZER
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32

    nonisolated(unsafe) var selectedTarget: FuzzTarget = .config
#endif

@main
enum FuzzMain {
    static func main() {
        #if BERTH_LIBFUZZER
            guard let name = getenv("BERTH_FUZZ_TARGET").map({ String(cString: $0) }), let target = FuzzTarget(rawValue: name) else {
                fail("set BERTH_FUZZ_TARGET to one of: " + FuzzTarget.allCases.map(\.rawValue).joined(separator: " "))
            }
            selectedTarget = target
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(
                LLVMFuzzerRunDriver(&argc, &argv) { data, size in
                    selectedTarget.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
                    return 0
                })
        #else
            replay(Array(CommandLine.arguments.dropFirst()))
        #endif
    }

    static func fail(_ message: String) -> Never {
        FileHandleless.write(2, "berth-fuzz: " + message + "\n")
        exit(2)
    }

    static func replay(_ args: [String]) {
        var args = args
        var mutations = 0
        if let i = args.firstIndex(of: "--mutate"), i + 1 < args.count, let n = Int(args[i + 1]) {
            mutations = n
            args.removeSubrange(i...(i + 1))
        }
        guard let name = args.first, let target = FuzzTarget(rawValue: name), args.count >= 2 else {
            fail(
                "usage: berth-fuzz TARGET [--mutate N] FILE|DIR... (targets: "
                    + FuzzTarget.allCases.map(\.rawValue).joined(separator: " ") + ")")
        }
        var files: [String] = []
        for path in args.dropFirst() { files += FileHandleless.files(at: path) }
        guard !files.isEmpty else { fail("no input files in \(args.dropFirst().joined(separator: " "))") }
        var mutator = Mutator(seed: 0x6265_7274_68)
        var count = 0
        signal(SIGALRM, SIG_DFL)
        for file in files.sorted() {
            guard let seed = FileHandleless.read(file) else { fail("cannot read \(file)") }
            alarm(10)
            target.run(seed)
            count += 1
            for _ in 0..<mutations {
                let input = mutator.mutate(seed)
                alarm(10)
                target.run(input)
                count += 1
            }
        }
        alarm(0)
        FileHandleless.write(1, "berth-fuzz \(target.rawValue): \(count) inputs (\(files.count) seeds, \(mutations) mutations each), no crash\n")
    }
}

/// A small deterministic mutator for the replay driver's short pass: bit flips, byte
/// changes, insertions and deletions of bytes and JSON fragments, duplications.
struct Mutator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        // xorshift64*
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 2_685_821_657_736_338_717
    }

    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }

    static let fragments: [[UInt8]] = [
        "null", "true", "-1", "0", "1e309", "-9223372036854775809", "18446744073709551616", "4294967296", "\"\"", "[]",
        "{}", "\"\\u0000\"", ",", ":", "[[[[[[[[[[", "]]]]]", "\"..\"", "\"/\"", "\"a:b:c\"", "-", "\u{00ff}", "\\",
        "\"SCMP_ACT_NOTIFY\"", "\"rbind\"", "\"idmap\"", "\"CAP_SYS_ADMIN\"",
    ].map { Array($0.utf8) }

    mutating func mutate(_ seed: [UInt8]) -> [UInt8] {
        var b = seed
        for _ in 0...below(4) {
            switch below(7) {
            case 0 where !b.isEmpty: b[below(b.count)] ^= UInt8(1 << below(8))
            case 1 where !b.isEmpty: b[below(b.count)] = UInt8(truncatingIfNeeded: next())
            case 2: b.insert(UInt8(truncatingIfNeeded: next()), at: below(b.count + 1))
            case 3 where !b.isEmpty:
                let start = below(b.count)
                b.removeSubrange(start..<min(b.count, start + 1 + below(16)))
            case 4: b.insert(contentsOf: Self.fragments[below(Self.fragments.count)], at: below(b.count + 1))
            case 5 where !b.isEmpty:
                let start = below(b.count)
                let chunk = b[start..<min(b.count, start + 1 + below(64))]
                b.insert(contentsOf: chunk, at: below(b.count + 1))
            default:
                // Replace a number-looking run with another number.
                if let i = b.indices.dropFirst(below(max(1, b.count))).first(where: { b[$0] >= 0x30 && b[$0] <= 0x39 }) {
                    var j = i
                    while j < b.count && b[j] >= 0x30 && b[j] <= 0x39 { j += 1 }
                    b.replaceSubrange(i..<j, with: Self.fragments[below(8) + 2])
                }
            }
        }
        return b
    }
}

/// File access without Foundation.
enum FileHandleless {
    static func write(_ fd: Int32, _ text: String) {
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
    }

    static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return n == 0 ? out : nil }
            out += chunk[0..<n]
        }
    }

    static func files(at path: String) -> [String] {
        var st = stat()
        guard stat(path, &st) == 0 else { return [] }
        guard (st.st_mode & S_IFMT) == S_IFDIR, let dir = opendir(path) else { return [path] }
        defer { closedir(dir) }
        var out: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." && !name.hasPrefix(".") { out += files(at: path + "/" + name) }
        }
        return out
    }
}
