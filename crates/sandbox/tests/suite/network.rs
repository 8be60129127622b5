//! §10 cases 35–42: network and the seccomp filter. Listeners are loopback-only, started by
//! the test, and live only as long as the test.

use std::net::{TcpListener, UdpSocket};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener};

use super::harness::{ALL_MODES, BACKENDS, Fixture, Outcome, Sandbox, expect};

#[test]
fn case35_tcp_loopback() {
    let fx = Fixture::new();
    let v4 = TcpListener::bind("127.0.0.1:0").unwrap();
    let v6 = TcpListener::bind("[::1]:0").ok();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            expect(
                &sb,
                &["tcp-connect", &v4.local_addr().unwrap().to_string()],
                m.network(),
            );
            if let Some(v6) = &v6 {
                expect(
                    &sb,
                    &["tcp-connect", &v6.local_addr().unwrap().to_string()],
                    m.network(),
                );
            }
        }
    }
}

#[test]
fn case36_udp() {
    let fx = Fixture::new();
    // A local UDP receiver stands in for a resolver on 127.0.0.1:53.
    let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = receiver.local_addr().unwrap().to_string();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            expect(&sb, &["udp-send", &addr], m.network());
            expect(&sb, &["socket", "udp"], m.network());
        }
    }
}

#[test]
fn case37_raw_and_packet_sockets() {
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in ALL_MODES {
            if !m.confined() {
                continue; // root-only baseline, not ours to test
            }
            let sb = Sandbox::new(b, m, &fx);
            expect(&sb, &["socket", "raw"], false);
            expect(&sb, &["socket", "packet"], false);
        }
    }
}

#[test]
fn case38_abstract_unix_socket() {
    let fx = Fixture::new();
    let name = format!("sbx-c38-{}", std::process::id());
    let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let _listener = UnixListener::bind_addr(&addr).unwrap();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            // With the network on we follow upstream: host abstract sockets are reachable.
            expect(&sb, &["abstract-connect", &name], m.network());
        }
    }
}

#[test]
fn case39_filesystem_unix_socket() {
    let fx = Fixture::new();
    let path = fx.out.join("service.sock");
    let _listener = UnixListener::bind(&path).unwrap();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            expect(&sb, &["unix-connect", path.to_str().unwrap()], m.network());
        }
    }
}

#[test]
fn case40_unix_socketpair_send_recv() {
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            expect(&sb, &["socketpair", "unix"], true);
            let outcome = expect(&sb, &["unix-pair-send"], true);
            assert_eq!(outcome, Outcome::Allowed("42".into()), "{}", sb.label());
            expect(&sb, &["socket", "unix"], true);
            // AF_INET pairs do not exist; refused everywhere (by seccomp when confined).
            expect(&sb, &["socketpair", "inet"], false);
        }
    }
}

#[test]
fn case40_python_asyncio_threadsafe() {
    // Upstream's send() EPERM made this hang; skip where python3 is absent.
    let python = "/usr/bin/python3";
    if !std::path::Path::new(python).exists() {
        return;
    }
    let fx = Fixture::new();
    let script = "import asyncio,threading\n\
        l=asyncio.new_event_loop()\n\
        threading.Thread(target=l.run_forever,daemon=True).start()\n\
        print(asyncio.run_coroutine_threadsafe(asyncio.sleep(0,result=42),l).result(timeout=5))";
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            let run = sb.run(&[python, "-c", script]);
            assert!(
                run.ok() && run.stdout.trim() == "42",
                "{} {run:?}",
                sb.label()
            );
        }
    }
}

#[test]
fn case41_foreign_syscall_abis() {
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            let outcome = sb.op(&["int80"]);
            if m.confined() {
                // The architecture check kills the process (SIGSYS).
                assert_eq!(outcome, Outcome::Killed(libc::SIGSYS), "{}", sb.label());
            } else if cfg!(target_arch = "x86_64") {
                assert!(outcome.allowed(), "baseline {outcome:?}");
            }
            // x32 is compiled out of this kernel (ENOSYS either way); the guard filter
            // denies it where it exists.
            assert!(!sb.op(&["x32"]).allowed());
        }
    }
}

#[test]
fn case42_io_uring() {
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            let outcome = sb.op(&["io-uring"]);
            if m.confined() {
                assert_eq!(outcome, Outcome::Denied(libc::EPERM), "{}", sb.label());
            }
        }
    }
}

#[test]
fn netlink_sockets_follow_the_network_switch() {
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            expect(&sb, &["socket", "netlink"], m.network());
            expect(&sb, &["socket", "inet6"], m.network());
        }
    }
}
