import BerthSpec
import BerthSystem

/// `linux.resources.blockIO`.
extension ResourceWriter {
    func blockIO(_ b: LinuxBlockIO) throws(SyscallError) {
        if unified {
            // io.bfq.weight takes blkio's own scale; io.weight needs the spec's conversion.
            let bfq = directory(for: "io.bfq.weight") != nil
            func weight(_ w: UInt16) -> String { bfq ? String(w) : String(Self.ioWeight(fromBlkio: w)) }
            if let w = b.weight, w > 0 { try write(bfq ? "io.bfq.weight" : "io.weight", "default " + weight(w)) }
            for d in b.weightDevice ?? [] {
                if let w = d.weight, w > 0 { try write(bfq ? "io.bfq.weight" : "io.weight", "\(d.major):\(d.minor) " + weight(w)) }
            }
            for (list, key) in [
                (b.throttleReadBpsDevice, "rbps"), (b.throttleWriteBpsDevice, "wbps"),
                (b.throttleReadIOPSDevice, "riops"), (b.throttleWriteIOPSDevice, "wiops"),
            ] {
                for d in list ?? [] {
                    try write("io.max", "\(d.major):\(d.minor) \(key)=\(d.rate == 0 ? "max" : String(d.rate))")
                }
            }
            return
        }
        // Kernels without CFQ have only BFQ's weight files.
        let weightFile = directory(for: "blkio.weight") != nil ? "blkio.weight" : "blkio.bfq.weight"
        if let w = b.weight, w > 0 { try write(weightFile, String(w)) }
        if let w = b.leafWeight, w > 0 { try write("blkio.leaf_weight", String(w)) }
        for d in b.weightDevice ?? [] {
            if let w = d.weight, w > 0 { try write(weightFile + "_device", "\(d.major):\(d.minor) \(w)") }
            if let w = d.leafWeight, w > 0 { try write("blkio.leaf_weight_device", "\(d.major):\(d.minor) \(w)") }
        }
        for (list, file) in [
            (b.throttleReadBpsDevice, "read_bps_device"), (b.throttleWriteBpsDevice, "write_bps_device"),
            (b.throttleReadIOPSDevice, "read_iops_device"), (b.throttleWriteIOPSDevice, "write_iops_device"),
        ] {
            for d in list ?? [] { try write("blkio.throttle." + file, "\(d.major):\(d.minor) \(d.rate)") }
        }
    }
}
