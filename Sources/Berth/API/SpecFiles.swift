import BerthSpec
import BerthSystem
import Glibc

extension Spec {
    /// Reads `config.json` from a bundle directory, as `create` reads it. It does not
    /// validate (see `validate()`). Errors are worded as the CLI words them, e.g.
    /// `open /b/config.json: no such file or directory`.
    public static func load(bundle: String) throws(BerthError) -> Spec {
        do throws(SpecError) { return try SpecLoader.load(bundle: bundle) } catch { throw BerthError.spec(error) }
    }

    /// Writes the configuration as the bundle's `config.json` (the directory is made if
    /// missing; an existing file is replaced atomically), formatted as `berth spec` and
    /// `runc spec` write it.
    public func save(bundle: String) throws(BerthError) {
        let bytes: [UInt8]
        do throws(SpecError) { bytes = try jsonData() } catch { throw BerthError.spec(error) }
        do throws(SyscallError) {
            try FileIO.makeDirectories(bundle)
            try FileIO.writeAtomically(SpecLoader.configPath(bundle: bundle), bytes)
        } catch {
            throw BerthError.system("save config.json", error)
        }
    }
}
