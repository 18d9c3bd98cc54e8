// Compiled filters, kept under the state root so that the same profile is
// compiled once: libseccomp takes milliseconds on a default profile, more
// than the rest of `run`. A file is named by the SHA-256 of what went into
// the compile (the profile as JSON, libseccomp's version, the cache format)
// and holds the SHA-256 of its own BPF, so a damaged file is recompiled,
// never installed.
import Glibc

struct SeccompCache {
    let dir: String
    static let format = "hako-seccomp-2"  // 2: with the ENOSYS stub
    static let magic = Array("HKBPF001".utf8)

    func key(_ profile: JSON) -> String {
        SHA256.hex(Array((SeccompCache.format + "\n" + SeccompCompiler.version + "\n" + profile.serialized()).utf8))
    }

    /// The filter for a profile: from the cache when it is sound, else compiled and stored.
    func filter(_ s: Seccomp, profile: JSON, logger: Logger) throws -> [UInt8] {
        let file = dir + "/" + key(profile) + ".bpf"
        if let bytes = try? Files.read(file) {
            if let bpf = SeccompCache.verify(bytes) {
                logger.debug("seccomp: cached filter \(file)")
                return bpf
            }
            logger.warn("seccomp: ignoring damaged cache file \(file)")
        }
        let bpf = try SeccompCompiler.compile(s, logger: logger)
        do {
            try Files.makeDirectories(dir, mode: 0o700)
            try Files.writeAtomically(file, SeccompCache.magic + SHA256.hash(bpf) + bpf, mode: 0o600)
        } catch {
            // A read-only or full state root costs speed, not correctness.
            logger.debug("seccomp: cannot cache the filter: \(error)")
        }
        return bpf
    }

    static func verify(_ bytes: [UInt8]) -> [UInt8]? {
        let head = magic.count + 32
        guard bytes.count > head, Array(bytes[0..<magic.count]) == magic else { return nil }
        let bpf = Array(bytes[head...])
        guard bpf.count % 8 == 0, SHA256.hash(bpf) == Array(bytes[magic.count..<head]) else { return nil }
        return bpf
    }
}
