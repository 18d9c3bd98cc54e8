// Descriptors that must not reach a container (CVE-2024-21626): a process
// entering one closes everything it inherited beyond stdio and the
// preserved range. Marking them close-on-exec is not enough: the kernel
// resolves a `#!` interpreter, and the program's own path, before it closes
// them, so /proc/self/fd/N/.. there still walks out of the container.
import CNamespaces

/// Closes every descriptor from `first` up, except `own`.
func closeDescriptors(from first: Int32, except own: [Int32]) {
    var next = first
    for fd in own.filter({ $0 >= first }).sorted() {
        if fd > next { _ = hk_close_range(UInt32(next), UInt32(fd - 1), 0) }
        next = max(next, fd + 1)
    }
    _ = hk_close_range(UInt32(next), UInt32.max, 0)
}
