//! File descriptors handed to bubblewrap: the seccomp programs (`--add-seccomp-fd`), and the
//! `pre_exec` step that keeps every other inherited fd out of the sandbox.
//!
//! Each launch gets its own sealed memfds holding the compiled programs: bubblewrap reads an
//! fd from its current offset to EOF, so one shared fd would be empty for the second launch.
//! The programs themselves are compiled once per process.

use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::OnceLock;

use rustix::fs::{MemfdFlags, SealFlags};

use super::seccomp;
use crate::error::SandboxError;

/// The two programs (main filter, guard) as raw `struct sock_filter` arrays, per network
/// setting (index 0: network off, 1: on).
static PROGRAMS: [OnceLock<Result<[Vec<u8>; 2], String>>; 2] = [OnceLock::new(), OnceLock::new()];

/// A BPF program in the kernel's layout: 8 bytes per instruction, native endian
/// (`u16 code, u8 jt, u8 jf, u32 k`, per linux/filter.h).
fn program_bytes(prog: &[seccompiler::sock_filter]) -> Vec<u8> {
    let mut out = Vec::with_capacity(prog.len() * 8);
    for ins in prog {
        out.extend_from_slice(&ins.code.to_ne_bytes());
        out.push(ins.jt);
        out.push(ins.jf);
        out.extend_from_slice(&ins.k.to_ne_bytes());
    }
    out
}

fn compiled(network: bool) -> Result<&'static [Vec<u8>; 2], SandboxError> {
    PROGRAMS[usize::from(network)]
        .get_or_init(|| {
            let main = seccomp::main_filter(network).map_err(|e| e.to_string())?;
            let guard = seccomp::guard_filter().map_err(|e| e.to_string())?;
            Ok([program_bytes(&main), program_bytes(&guard)])
        })
        .as_ref()
        .map_err(|detail| SandboxError::Unenforceable {
            backend: "bwrap",
            detail: detail.clone(),
        })
}

fn memfd_error(source: impl Into<std::io::Error>) -> SandboxError {
    SandboxError::Unenforceable {
        backend: "bwrap",
        detail: format!(
            "cannot hand the seccomp filter to bubblewrap: {}",
            source.into()
        ),
    }
}

/// Fresh sealed memfds (close-on-exec, offset 0) with the seccomp programs for bubblewrap's
/// `--add-seccomp-fd`, main filter first. [`child_hook`] makes them inheritable in the child.
pub(crate) fn seccomp_memfds(network: bool) -> Result<Vec<OwnedFd>, SandboxError> {
    compiled(network)?
        .iter()
        .map(|bytes| {
            let fd = rustix::fs::memfd_create(
                "codex-seccomp",
                MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
            )
            .map_err(memfd_error)?;
            let mut file = std::fs::File::from(fd);
            file.write_all(bytes).map_err(memfd_error)?;
            rustix::fs::fcntl_add_seals(
                &file,
                SealFlags::SEAL | SealFlags::WRITE | SealFlags::GROW | SealFlags::SHRINK,
            )
            .map_err(memfd_error)?;
            rustix::fs::seek(&file, rustix::fs::SeekFrom::Start(0)).map_err(memfd_error)?;
            Ok(OwnedFd::from(file))
        })
        .collect()
}

/// The `pre_exec` step (runs in the forked child, so async-signal-safe calls only): every fd
/// above 2 becomes close-on-exec, except `keep`, which stays inheritable. A directory fd
/// leaked into upstream's sandbox let a command write outside it (sandbox.md).
pub(crate) fn child_hook(keep: Vec<RawFd>) -> impl FnMut() -> std::io::Result<()> + Send + Sync {
    move || {
        const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
        // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets flags on descriptors.
        let r = unsafe {
            libc::syscall(
                libc::SYS_close_range,
                3 as libc::c_uint,
                libc::c_uint::MAX,
                CLOSE_RANGE_CLOEXEC,
            )
        };
        if r != 0 {
            // Before Linux 5.11: one fcntl per possible descriptor.
            let mut limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: `limit` is a valid out-pointer.
            let max = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
                RawFd::try_from(limit.rlim_cur).unwrap_or(RawFd::MAX)
            } else {
                1024
            };
            for fd in 3..max {
                // SAFETY: F_SETFD on a closed fd fails with EBADF, which is ignored.
                unsafe {
                    libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
                }
            }
        }
        for fd in &keep {
            // SAFETY: clears the close-on-exec flag of a descriptor the parent owns.
            if unsafe { libc::fcntl(*fd, libc::F_SETFD, 0) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    }
}

/// Raw numbers of `fds`, for the bubblewrap argv and [`child_hook`].
pub(crate) fn raw(fds: &[OwnedFd]) -> Vec<RawFd> {
    fds.iter().map(AsRawFd::as_raw_fd).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn memfds_hold_the_programs_sealed_from_offset_zero() {
        let fds = seccomp_memfds(false).unwrap();
        assert_eq!(fds.len(), 2);
        let main = seccomp::main_filter(false).unwrap();
        let mut file = std::fs::File::from(fds.into_iter().next().unwrap());
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        assert_eq!(bytes.len(), main.len() * 8);
        assert_eq!(bytes, program_bytes(&main));
        assert!(file.write_all(b"x").is_err(), "sealed against writes");
    }
}
