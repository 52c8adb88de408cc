/// The Linux list format of CPU and NUMA node numbers (`cpuset.cpus`, `taskset -c`,
/// `process.execCPUAffinity`, `linux.memoryPolicy.nodes`): comma-separated numbers and
/// ranges, `0-3,7`. Spaces around the items are allowed; an empty string is an empty list.
public enum CPUList {
    /// The numbers in `text`, ascending and without duplicates, or a one-line reason why
    /// it is not a list (`"8-2": range start greater than end`). Numbers above `limit`
    /// are refused, so that a mask of them can be built.
    public static func parse(_ text: String, limit: Int) -> Result<[Int], ListError> {
        var numbers = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = item.trimmingCharacters(" \t")
            if item.isEmpty {
                if text.trimmingCharacters(" \t").isEmpty { continue }
                return .failure(ListError("empty item"))
            }
            let bounds = item.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            guard let low = number(bounds[0]) else { return .failure(ListError("\"\(bounds[0])\" is not a number")) }
            let high: Int
            if bounds.count == 2 {
                guard let h = number(bounds[1]) else { return .failure(ListError("\"\(bounds[1])\" is not a number")) }
                high = h
            } else {
                high = low
            }
            if high < low { return .failure(ListError("range \(item): start greater than end")) }
            if high > limit { return .failure(ListError("\(high) is out of range (at most \(limit))")) }
            for n in low...high { numbers.insert(n) }
        }
        return .success(numbers.sorted())
    }

    /// Why a list did not parse.
    public struct ListError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    private static func number(_ text: Substring) -> Int? {
        let text = text.trimmingCharacters(" \t")
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), text.count <= 18 else { return nil }
        return Int(text)
    }
}

extension StringProtocol {
    func trimmingCharacters(_ set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
