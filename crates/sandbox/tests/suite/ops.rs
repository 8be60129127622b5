//! The probe program that runs *inside* a sandbox: this test binary re-executed with
//! `--exact suite::ops::probe_entry` and the operation in `SBX_PROBE` (words separated by
//! `\x1f`). It performs one operation with raw syscalls and prints one line:
//! `SBX-RESULT ok <value>` or `SBX-RESULT err <errno> <message>`.

use std::ffi::CString;
use std::io::Error;

pub const PROBE_ENV: &str = "SBX_PROBE";
pub const PROBE_TEST: &str = "suite::ops::probe_entry";
pub const SEP: char = '\x1f';

#[test]
fn probe_entry() {
    let Ok(spec) = std::env::var(PROBE_ENV) else {
        return;
    };
    let words: Vec<&str> = spec.split(SEP).collect();
    let line = match run(&words) {
        Ok(value) => format!("SBX-RESULT ok {value}"),
        Err(err) => format!(
            "SBX-RESULT err {} {}",
            err.raw_os_error().unwrap_or(-1),
            err
        ),
    };
    println!("\n{line}");
    std::process::exit(0);
}

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn check(r: libc::c_int) -> Result<libc::c_int, Error> {
    if r < 0 {
        Err(Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn check_long(r: libc::c_long) -> Result<libc::c_long, Error> {
    if r < 0 {
        Err(Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn open(path: &str, flags: libc::c_int) -> Result<libc::c_int, Error> {
    check(unsafe { libc::open(c(path).as_ptr(), flags | libc::O_CLOEXEC, 0o644) })
}

fn close(fd: libc::c_int) {
    unsafe { libc::close(fd) };
}

fn family(name: &str) -> (libc::c_int, libc::c_int, libc::c_int) {
    match name {
        "inet" => (libc::AF_INET, libc::SOCK_STREAM, 0),
        "inet6" => (libc::AF_INET6, libc::SOCK_STREAM, 0),
        "udp" => (libc::AF_INET, libc::SOCK_DGRAM, 0),
        "raw" => (libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_ICMP),
        "packet" => (libc::AF_PACKET, libc::SOCK_RAW, 0),
        "netlink" => (libc::AF_NETLINK, libc::SOCK_RAW, 0),
        "unix" => (libc::AF_UNIX, libc::SOCK_STREAM, 0),
        other => panic!("unknown family {other}"),
    }
}

fn run(words: &[&str]) -> Result<String, Error> {
    let arg = |i: usize| words[i];
    match words[0] {
        // Filesystem.
        "write" => {
            let fd = open(arg(1), libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC)?;
            let n = unsafe { libc::write(fd, b"x".as_ptr().cast(), 1) };
            close(fd);
            check_long(n as libc::c_long)?;
            Ok("written".into())
        }
        "open-wr" => {
            // Open for writing and close without writing (safe for /proc/sys, /sys, ...).
            let fd = open(arg(1), libc::O_WRONLY)?;
            close(fd);
            Ok("opened".into())
        }
        "trunc" => {
            let fd = open(arg(1), libc::O_WRONLY | libc::O_TRUNC)?;
            close(fd);
            Ok("truncated".into())
        }
        "read" => {
            let fd = open(arg(1), libc::O_RDONLY)?;
            let mut buf = [0u8; 64];
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            close(fd);
            check_long(n as libc::c_long)?;
            Ok(format!("{n}"))
        }
        "mkdir" => check(unsafe { libc::mkdir(c(arg(1)).as_ptr(), 0o755) }).map(|_| "made".into()),
        "unlink" => check(unsafe { libc::unlink(c(arg(1)).as_ptr()) }).map(|_| "unlinked".into()),
        "rmdir" => check(unsafe { libc::rmdir(c(arg(1)).as_ptr()) }).map(|_| "removed".into()),
        "rename" => check(unsafe { libc::rename(c(arg(1)).as_ptr(), c(arg(2)).as_ptr()) })
            .map(|_| "renamed".into()),
        "link" => check(unsafe { libc::link(c(arg(1)).as_ptr(), c(arg(2)).as_ptr()) })
            .map(|_| "linked".into()),
        "symlink" => check(unsafe { libc::symlink(c(arg(1)).as_ptr(), c(arg(2)).as_ptr()) })
            .map(|_| "linked".into()),
        "chmod" => {
            let mode = u32::from_str_radix(arg(2), 8).unwrap();
            check(unsafe { libc::chmod(c(arg(1)).as_ptr(), mode) }).map(|_| "chmodded".into())
        }
        "utime" => check(unsafe { libc::utimes(c(arg(1)).as_ptr(), std::ptr::null()) })
            .map(|_| "touched".into()),
        "mknod" => check(unsafe {
            libc::mknod(
                c(arg(1)).as_ptr(),
                libc::S_IFCHR | 0o600,
                libc::makedev(1, 1),
            )
        })
        .map(|_| "made".into()),
        "openat-fd" => {
            let dirfd: libc::c_int = arg(1).parse().unwrap();
            let fd = check(unsafe {
                libc::openat(
                    dirfd,
                    c(arg(2)).as_ptr(),
                    libc::O_WRONLY | libc::O_CREAT | libc::O_CLOEXEC,
                    0o644,
                )
            })?;
            close(fd);
            Ok("created".into())
        }
        // Mounts and namespaces.
        "mount-tmpfs" => check(unsafe {
            libc::mount(
                c("none").as_ptr(),
                c(arg(1)).as_ptr(),
                c("tmpfs").as_ptr(),
                0,
                std::ptr::null(),
            )
        })
        .map(|_| "mounted".into()),
        "remount-rw" => check(unsafe {
            libc::mount(
                std::ptr::null(),
                c(arg(1)).as_ptr(),
                std::ptr::null(),
                libc::MS_REMOUNT | libc::MS_BIND,
                std::ptr::null(),
            )
        })
        .map(|_| "remounted".into()),
        "umount" => {
            check(unsafe { libc::umount2(c(arg(1)).as_ptr(), 0) }).map(|_| "unmounted".into())
        }
        "unshare-user" => {
            check(unsafe { libc::unshare(libc::CLONE_NEWUSER) }).map(|_| "unshared".into())
        }
        // Processes.
        "kill0" => {
            check(unsafe { libc::kill(arg(1).parse().unwrap(), 0) }).map(|_| "signalled".into())
        }
        "ptrace" => {
            let pid: libc::pid_t = arg(1).parse().unwrap();
            check_long(unsafe {
                libc::ptrace(
                    libc::PTRACE_ATTACH,
                    pid,
                    std::ptr::null_mut::<libc::c_void>(),
                    0,
                )
            })?;
            unsafe {
                libc::ptrace(
                    libc::PTRACE_DETACH,
                    pid,
                    std::ptr::null_mut::<libc::c_void>(),
                    0,
                )
            };
            Ok("attached".into())
        }
        "vm-readv" => {
            let pid: libc::pid_t = arg(1).parse().unwrap();
            let mut buf = [0u8; 8];
            let local = libc::iovec {
                iov_base: buf.as_mut_ptr().cast(),
                iov_len: 8,
            };
            // Any address: EFAULT still proves the call was allowed, so use the victim's stack
            // as seen through its auxv-free guess: 0x1000 gives EFAULT, which counts as
            // "allowed" below.
            let remote = libc::iovec {
                iov_base: 0x1000 as *mut libc::c_void,
                iov_len: 8,
            };
            let r = unsafe { libc::process_vm_readv(pid, &local, 1, &remote, 1, 0) };
            if r < 0 {
                let err = Error::last_os_error();
                if err.raw_os_error() == Some(libc::EFAULT) {
                    return Ok("allowed (EFAULT)".into());
                }
                return Err(err);
            }
            Ok("read".into())
        }
        "count-pids" => {
            let n = std::fs::read_dir("/proc")?
                .flatten()
                .filter(|e| {
                    e.file_name()
                        .to_str()
                        .is_some_and(|s| s.parse::<u32>().is_ok())
                })
                .count();
            Ok(n.to_string())
        }
        "status" => {
            let status = std::fs::read_to_string("/proc/self/status")?;
            let get = |key: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(key))
                    .map(|v| v.trim().to_string())
                    .unwrap_or_default()
            };
            Ok(format!(
                "CapEff={} NoNewPrivs={} Seccomp={}",
                get("CapEff:"),
                get("NoNewPrivs:"),
                get("Seccomp:")
            ))
        }
        "tiocsti" => {
            let ch: libc::c_char = b' ' as libc::c_char;
            let fd = match arg(1) {
                "stdin" => 0,
                path => open(path, libc::O_RDWR)?,
            };
            let r = unsafe { libc::ioctl(fd, libc::TIOCSTI, &ch) };
            check(r)?;
            Ok("injected".into())
        }
        // Network.
        "socket" => {
            let (f, t, p) = family(arg(1));
            let fd = check(unsafe { libc::socket(f, t | libc::SOCK_CLOEXEC, p) })?;
            close(fd);
            Ok("created".into())
        }
        "socketpair" => {
            let (f, t, p) = family(arg(1));
            let mut fds = [0; 2];
            check(unsafe { libc::socketpair(f, t, p, fds.as_mut_ptr()) })?;
            close(fds[0]);
            close(fds[1]);
            Ok("created".into())
        }
        "tcp-connect" => {
            let addr: std::net::SocketAddr = arg(1).parse().unwrap();
            std::net::TcpStream::connect(addr)?;
            Ok("connected".into())
        }
        "udp-send" => {
            let sock = std::net::UdpSocket::bind("0.0.0.0:0")?;
            sock.send_to(b"x", arg(1))?;
            Ok("sent".into())
        }
        "unix-connect" => {
            std::os::unix::net::UnixStream::connect(arg(1))?;
            Ok("connected".into())
        }
        "abstract-connect" => {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(arg(1))?;
            std::os::unix::net::UnixStream::connect_addr(&addr)?;
            Ok("connected".into())
        }
        "unix-pair-send" => {
            // send()/recv() on a connected AF_UNIX pair: what asyncio's self-pipe does.
            let mut fds = [0; 2];
            check(unsafe {
                libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, fds.as_mut_ptr())
            })?;
            check_long(unsafe { libc::send(fds[0], b"hi".as_ptr().cast(), 2, 0) } as libc::c_long)?;
            let mut buf = [0u8; 2];
            check_long(
                unsafe { libc::recv(fds[1], buf.as_mut_ptr().cast(), 2, 0) } as libc::c_long
            )?;
            // And a thread handing a result back through the pair.
            let writer = fds[0];
            std::thread::spawn(move || unsafe {
                libc::send(writer, b"42".as_ptr().cast(), 2, 0);
            })
            .join()
            .unwrap();
            let n = unsafe { libc::recv(fds[1], buf.as_mut_ptr().cast(), 2, 0) };
            check_long(n as libc::c_long)?;
            Ok(String::from_utf8_lossy(&buf).into_owned())
        }
        "io-uring" => {
            let mut params = [0u8; 120];
            let fd = check_long(unsafe {
                libc::syscall(libc::SYS_io_uring_setup, 1u32, params.as_mut_ptr())
            })?;
            close(fd as libc::c_int);
            Ok("created".into())
        }
        "x32" => {
            let r = unsafe { libc::syscall(0x4000_0000 | libc::SYS_getpid) };
            check_long(r).map(|v| v.to_string())
        }
        "int80" => int80(),
        "env" => Ok(std::env::var(arg(1)).unwrap_or_else(|_| "<unset>".into())),
        "nested-run" => {
            // Probe and sandbox from inside an environment without user namespaces.
            let probe = codex_sandbox::probe();
            let backend = probe.sandbox_name().unwrap_or("none");
            let ws = std::path::Path::new(arg(1)).parent().unwrap().to_path_buf();
            let policy = codex_sandbox::SandboxPolicy::workspace_write(vec![ws.clone()]);
            let write = |path: &str| -> &'static str {
                let argv = vec!["/bin/sh".into(), "-c".into(), format!("echo x > {path}")];
                match probe.prepare(&policy, &argv, &ws, &super::harness::helper()) {
                    Err(_) => "prepare-failed",
                    Ok(p) => {
                        let mut cmd = std::process::Command::new(p.program());
                        cmd.args(p.args())
                            .envs(p.env.iter().cloned())
                            .stderr(std::process::Stdio::null());
                        p.configure(&mut cmd);
                        let ok = cmd.status().map(|s| s.success()).unwrap_or(false);
                        if ok { "ok" } else { "denied" }
                    }
                }
            };
            Ok(format!(
                "backend={backend} ws={} out={}",
                write(arg(1)),
                write(arg(2))
            ))
        }
        other => panic!("unknown probe op {other}"),
    }
}

/// i386 `getpid` through `int $0x80` from a 64-bit process (AUDIT_ARCH_I386 for seccomp).
#[cfg(target_arch = "x86_64")]
fn int80() -> Result<String, Error> {
    // mov eax, 20 ; int 0x80 ; ret
    const CODE: [u8; 8] = [0xb8, 0x14, 0x00, 0x00, 0x00, 0xcd, 0x80, 0xc3];
    unsafe {
        let page = libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if page == libc::MAP_FAILED {
            return Err(Error::last_os_error());
        }
        std::ptr::copy_nonoverlapping(CODE.as_ptr(), page.cast::<u8>(), CODE.len());
        check(libc::mprotect(
            page,
            4096,
            libc::PROT_READ | libc::PROT_EXEC,
        ))?;
        let f: extern "C" fn() -> i32 = std::mem::transmute(page);
        let pid = f();
        Ok(pid.to_string())
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn int80() -> Result<String, Error> {
    Err(Error::from_raw_os_error(libc::ENOSYS))
}
