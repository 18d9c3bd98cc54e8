// An init that joins another container's user namespace (a pod's, say) and
// makes new namespaces of its own: those must be owned by the joined user
// namespace, not the host's. A namespace belongs to the user namespace its
// creator is in when it is made, and only capabilities there act on it: a
// uts namespace made by clone(2) from the host's user namespace refuses the
// container's root sethostname, a network namespace refuses it bringing lo up
// or adding an address, a pid namespace decides who may mount its procfs.
//
// hako cannot join the user namespace itself, because it would lose the
// host's capabilities that it needs afterwards (cgroups, hooks, the state
// directory) and cannot come back. So the init is cloned from inside, by
// CloneInside's helper, as runc's nsexec does with its second stage: the
// helper joins the pid namespace for its children (while it is still the
// host's root), then the user namespace, and clones the init from there,
// with the new namespaces, which the joined user namespace therefore owns.
import CNamespaces
import Glibc

enum JoinedUserNamespace {
    /// What CloneInside's helper does before it clones the init.
    static func enter(user: Int32, pidNamespace: Int32?) throws {
        if let pidNamespace {
            try sys(hk_setns(pidNamespace, NamespaceType.pid.cloneFlag), "join the pid namespace")
        }
        try sys(hk_setns(user, NamespaceType.user.cloneFlag), "join the user namespace")
    }
}
