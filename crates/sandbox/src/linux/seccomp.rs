//! The seccomp-BPF program every sandboxed command runs under (both Linux backends).
//!
//! Two stacked filters (the kernel applies the strictest verdict):
//!
//! 1. The main filter, compiled with `seccompiler`. Its architecture check kills the process
//!    on a foreign syscall ABI (i386 `int $0x80` on x86_64, which would otherwise bypass
//!    every rule below). Denied with `EPERM`, always: `ptrace`, `process_vm_readv/writev`,
//!    `pidfd_getfd` (reaching into other processes); `io_uring_*` (its operations bypass the
//!    socket rules); `bpf`, `perf_event_open`, `userfaultfd`, `keyctl`/`add_key`/`request_key`
//!    (kernel attack surface, secrets in keyrings); the mount API, `pivot_root`, `setns`,
//!    `unshare` and `clone` with any `CLONE_NEW*` flag (no nested namespaces in which the
//!    command would regain capabilities); module loading, `kexec`, `reboot`, `swapon/off`,
//!    `acct`, `open_by_handle_at`; `ioctl(TIOCSTI)` and `ioctl(TIOCLINUX)` (typing into the
//!    terminal). With the network off: `socket`/`socketpair` of any family but `AF_UNIX`,
//!    `connect` and `bind` (host filesystem sockets such as docker.sock stay unreachable),
//!    and `sendto` with a destination address. `send`/`recv`/`sendmsg` on existing sockets
//!    stay allowed: upstream denies `send()` on `AF_UNIX` and thereby hangs Python's asyncio.
//!    With the network on, only `AF_PACKET` sockets are denied.
//! 2. A small hand-written guard: `clone3` fails with `ENOSYS` (its flags live in memory a
//!    filter cannot read; libc falls back to `clone`, whose flags the main filter checks), and
//!    on x86_64 every x32 syscall number (bit 30 set) fails with `ENOSYS`.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch, sock_filter,
};

/// Errors building or installing the filter.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SeccompError {
    #[error("seccomp: unsupported architecture {0}")]
    Arch(&'static str),
    #[error("seccomp: cannot compile the filter: {0}")]
    Compile(String),
    #[error("seccomp: cannot install the filter")]
    Install(#[source] std::io::Error),
}

/// `TIOCSTI`: push a byte into the terminal's input queue.
const TIOCSTI: u64 = 0x5412;
/// `TIOCLINUX`: its subcode 2/3 also injects input on virtual consoles.
const TIOCLINUX: u64 = 0x541C;

/// `CLONE_NEW*` flags: a nested namespace would hand the command a fresh set of capabilities.
/// (`CLONE_NEWTIME` only exists for `clone3`/`unshare`, both denied outright; in `clone` its
/// bit belongs to the exit-signal byte.)
const CLONE_NEW_FLAGS: [u64; 7] = [
    libc::CLONE_NEWUSER as u64,
    libc::CLONE_NEWNS as u64,
    libc::CLONE_NEWPID as u64,
    libc::CLONE_NEWNET as u64,
    libc::CLONE_NEWIPC as u64,
    libc::CLONE_NEWUTS as u64,
    libc::CLONE_NEWCGROUP as u64,
];

/// Syscalls denied whatever the policy.
const ALWAYS_DENIED: &[i64] = &[
    libc::SYS_ptrace,
    libc::SYS_process_vm_readv,
    libc::SYS_process_vm_writev,
    libc::SYS_pidfd_getfd,
    libc::SYS_io_uring_setup,
    libc::SYS_io_uring_enter,
    libc::SYS_io_uring_register,
    libc::SYS_bpf,
    libc::SYS_perf_event_open,
    libc::SYS_userfaultfd,
    libc::SYS_keyctl,
    libc::SYS_add_key,
    libc::SYS_request_key,
    libc::SYS_mount,
    libc::SYS_umount2,
    libc::SYS_pivot_root,
    libc::SYS_move_mount,
    libc::SYS_open_tree,
    libc::SYS_fsopen,
    libc::SYS_fsconfig,
    libc::SYS_fsmount,
    libc::SYS_fspick,
    libc::SYS_mount_setattr,
    libc::SYS_setns,
    libc::SYS_unshare,
    libc::SYS_init_module,
    libc::SYS_finit_module,
    libc::SYS_delete_module,
    libc::SYS_kexec_load,
    libc::SYS_kexec_file_load,
    libc::SYS_reboot,
    libc::SYS_swapon,
    libc::SYS_swapoff,
    libc::SYS_acct,
    libc::SYS_open_by_handle_at,
];

fn target_arch() -> Result<TargetArch, SeccompError> {
    TargetArch::try_from(std::env::consts::ARCH)
        .map_err(|_| SeccompError::Arch(std::env::consts::ARCH))
}

fn cond(
    arg: u8,
    len: SeccompCmpArgLen,
    op: SeccompCmpOp,
    value: u64,
) -> Result<SeccompCondition, SeccompError> {
    SeccompCondition::new(arg, len, op, value).map_err(|e| SeccompError::Compile(e.to_string()))
}

fn rule(conditions: Vec<SeccompCondition>) -> Result<SeccompRule, SeccompError> {
    SeccompRule::new(conditions).map_err(|e| SeccompError::Compile(e.to_string()))
}

/// Compiles the main filter for a policy with or without network.
pub(crate) fn main_filter(network: bool) -> Result<BpfProgram, SeccompError> {
    use SeccompCmpArgLen::{Dword, Qword};
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    for nr in ALWAYS_DENIED {
        rules.insert(*nr, Vec::new());
    }
    let mut clone_rules = Vec::new();
    for flag in CLONE_NEW_FLAGS {
        clone_rules.push(rule(vec![cond(
            0,
            Qword,
            SeccompCmpOp::MaskedEq(flag),
            flag,
        )?])?);
    }
    rules.insert(libc::SYS_clone, clone_rules);
    rules.insert(
        libc::SYS_ioctl,
        vec![
            rule(vec![cond(1, Dword, SeccompCmpOp::Eq, TIOCSTI)?])?,
            rule(vec![cond(1, Dword, SeccompCmpOp::Eq, TIOCLINUX)?])?,
        ],
    );
    let af_unix = libc::AF_UNIX as u64;
    if network {
        rules.insert(
            libc::SYS_socket,
            vec![rule(vec![cond(
                0,
                Dword,
                SeccompCmpOp::Eq,
                libc::AF_PACKET as u64,
            )?])?],
        );
    } else {
        for nr in [libc::SYS_socket, libc::SYS_socketpair] {
            rules.insert(
                nr,
                vec![rule(vec![cond(0, Dword, SeccompCmpOp::Ne, af_unix)?])?],
            );
        }
        rules.insert(libc::SYS_connect, Vec::new());
        rules.insert(libc::SYS_bind, Vec::new());
        rules.insert(
            libc::SYS_sendto,
            vec![rule(vec![cond(4, Qword, SeccompCmpOp::Ne, 0)?])?],
        );
    }
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        target_arch()?,
    )
    .map_err(|e| SeccompError::Compile(e.to_string()))?;
    BpfProgram::try_from(filter).map_err(|e| SeccompError::Compile(e.to_string()))
}

// Classic BPF opcodes (linux/bpf_common.h): class | size | mode, class | op | source.
/// `BPF_LD | BPF_W | BPF_ABS` (0x00 | 0x00 | 0x20).
const BPF_LD_W_ABS: u16 = 0x20;
/// `BPF_JMP | BPF_JEQ | BPF_K`.
const BPF_JMP_JEQ_K: u16 = 0x05 | 0x10;
/// `BPF_JMP | BPF_JGE | BPF_K`.
const BPF_JMP_JGE_K: u16 = 0x05 | 0x30;
/// `BPF_RET | BPF_K`.
const BPF_RET_K: u16 = 0x06;
const SECCOMP_DATA_NR: u32 = 0;
const SECCOMP_DATA_ARCH: u32 = 4;

fn stmt(code: u16, k: u32) -> sock_filter {
    sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> sock_filter {
    sock_filter { code, jt, jf, k }
}

fn audit_arch() -> Result<u32, SeccompError> {
    match target_arch()? {
        TargetArch::x86_64 => Ok(0xC000_003E),
        TargetArch::aarch64 => Ok(0xC000_00B7),
        TargetArch::riscv64 => Ok(0xC000_00F3),
    }
}

/// The guard filter: `clone3` and (x86_64) x32 syscalls fail with `ENOSYS`.
pub(crate) fn guard_filter() -> Result<BpfProgram, SeccompError> {
    let enosys = libc::SECCOMP_RET_ERRNO | (libc::ENOSYS as u32);
    let mut prog = vec![
        stmt(BPF_LD_W_ABS, SECCOMP_DATA_ARCH),
        jump(BPF_JMP_JEQ_K, audit_arch()?, 1, 0),
        // A foreign ABI: the main filter kills the process.
        stmt(BPF_RET_K, libc::SECCOMP_RET_ALLOW),
        stmt(BPF_LD_W_ABS, SECCOMP_DATA_NR),
    ];
    if std::env::consts::ARCH == "x86_64" {
        prog.push(jump(BPF_JMP_JGE_K, 0x4000_0000, 0, 1));
        prog.push(stmt(BPF_RET_K, enosys));
    }
    prog.push(jump(BPF_JMP_JEQ_K, libc::SYS_clone3 as u32, 0, 1));
    prog.push(stmt(BPF_RET_K, enosys));
    prog.push(stmt(BPF_RET_K, libc::SECCOMP_RET_ALLOW));
    Ok(prog)
}

/// Sets `no_new_privs` and installs both filters on the calling thread. Call it in a
/// single-threaded process right before `execve`.
pub(crate) fn install(network: bool) -> Result<(), SeccompError> {
    let main = main_filter(network)?;
    let guard = guard_filter()?;
    rustix::thread::set_no_new_privs(true).map_err(|e| SeccompError::Install(e.into()))?;
    for prog in [&main, &guard] {
        seccompiler::apply_filter(prog).map_err(|e| match e {
            seccompiler::Error::Seccomp(io) | seccompiler::Error::Prctl(io) => {
                SeccompError::Install(io)
            }
            other => SeccompError::Compile(other.to_string()),
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_compile_for_both_network_settings() {
        let off = main_filter(false).unwrap();
        let on = main_filter(true).unwrap();
        assert!(off.len() > on.len());
        assert!(off.len() < 4096);
        assert!(!guard_filter().unwrap().is_empty());
    }
}
