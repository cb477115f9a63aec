//! Another local user against the runtime directory, without help from the kernel's
//! `protected_symlinks`: a `/tmp/moshmux-UID` taken first (as a directory or a symbolic
//! link of theirs) neither blocks the user nor reaches them, and a daemon of theirs that
//! the user's commands reach anyway (a won race, emulated by moving its socket into the
//! user's directory) is never sent a request nor believed. These need root (CI runs as
//! root), to act as `nobody` and to give `/tmp` a private mount.

mod common;

use common::{become_nobody, bin, running_as_root, socket_address, wait_until, Daemon, NOBODY};
use moshmux_server::control::{write_reply, Connect, Reply};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A port no test uses: what the impostor's reply names.
const IMPOSTOR_PORT: u16 = 4242;

fn not_checked(test: &str, why: &str) {
    eprintln!("{test}: NOT CHECKED, {why}");
}

/// A server that runs as `nobody`, listens on `socket` and answers every connection
/// with a `connect` reply of its own port and key, as a hijacker would; killed on drop.
struct Impostor {
    pid: libc::pid_t,
}

impl Impostor {
    fn listen(socket: &Path) -> Impostor {
        let address = socket_address(socket);
        let mut reply = Vec::new();
        let connect = Reply::Connect(Connect {
            port: IMPOSTOR_PORT,
            key: [7; 16],
            notices: Vec::new(),
        });
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(write_reply(&mut reply, &connect))
            .expect("encoding the reply");
        // SAFETY: the child makes only system calls on memory prepared before the fork,
        // and never returns.
        let pid = unsafe {
            let pid = libc::fork();
            assert!(pid >= 0, "fork failed");
            if pid == 0 {
                become_nobody();
                let fd = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0);
                let size = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
                if libc::bind(fd, std::ptr::addr_of!(address).cast(), size) != 0
                    || libc::listen(fd, 16) != 0
                {
                    libc::_exit(3);
                }
                loop {
                    let client = libc::accept(fd, std::ptr::null_mut(), std::ptr::null_mut());
                    if client >= 0 {
                        libc::send(client, reply.as_ptr().cast(), reply.len(), 0);
                        libc::close(client);
                    }
                }
            }
            pid
        };
        wait_until("the impostor's socket", || socket.exists());
        Impostor { pid }
    }
}

impl Drop for Impostor {
    fn drop(&mut self) {
        // SAFETY: plain signal and wait on our own child.
        unsafe {
            libc::kill(self.pid, libc::SIGKILL);
            libc::waitpid(self.pid, std::ptr::null_mut(), 0);
        }
    }
}

/// A directory of `nobody`'s, which it can write and others can enter.
fn nobodys_dir(path: &Path) {
    std::fs::create_dir_all(path).expect("creating nobody's directory");
    std::os::unix::fs::chown(path, Some(NOBODY), Some(NOBODY)).expect("chown to nobody");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn a_daemon_of_another_user_behind_our_socket_is_neither_asked_nor_believed() {
    if !running_as_root() {
        return not_checked(
            "a_daemon_of_another_user_behind_our_socket_is_neither_asked_nor_believed",
            "acting as another uid needs root",
        );
    }
    let victim = Daemon::new();
    let attacker = victim.dir().with_extension("attacker");
    nobodys_dir(&attacker);
    let _impostor = Impostor::listen(&attacker.join("server.sock"));
    // What a race for a shared path would give the attacker: their socket where ours is.
    std::fs::rename(attacker.join("server.sock"), victim.socket()).expect("moving the socket");
    for args in [&["ls"][..], &["new", "-s", "s", "--", "sh"]] {
        let out = victim.run(args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stdout.contains(&IMPOSTOR_PORT.to_string()),
            "hijacked: {stdout}"
        );
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stdout} {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("runs as uid 65534, not as us") && stderr.contains("remove it"),
            "{stderr}"
        );
    }
    // The way out the line gives works.
    std::fs::remove_file(victim.socket()).expect("removing the socket");
    victim.ok(&["new", "-s", "s", "--", "sh"]);
    assert_eq!(victim.sessions(), "s: 1 windows [80x24]\n");
    let _ = std::fs::remove_dir_all(&attacker);
}

/// What the user's `moshmux-server ARGS` does with only the defaults to go by: no
/// `MOSHMUX_DIR`, no `XDG_RUNTIME_DIR`, a home of its own.
fn as_user(home: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .expect("running moshmux-server")
}

/// Gives the calling thread (and the processes it starts) a mount namespace of its own
/// with an empty, sticky `/tmp`, so that taking `/tmp/moshmux-0` touches no one else.
fn private_tmp() -> Result<(), String> {
    let error = |what: &str| format!("{what}: {}", std::io::Error::last_os_error());
    // SAFETY: plain system calls with valid NUL-terminated strings; the namespace is
    // this thread's alone (mount namespaces belong to tasks).
    unsafe {
        if libc::unshare(libc::CLONE_NEWNS) != 0 {
            return Err(error("unshare"));
        }
        let none = std::ptr::null();
        if libc::mount(
            none,
            c"/".as_ptr(),
            none,
            libc::MS_REC | libc::MS_PRIVATE,
            none.cast(),
        ) != 0
        {
            return Err(error("making / private"));
        }
        let options = c"mode=1777";
        if libc::mount(
            c"tmpfs".as_ptr(),
            c"/tmp".as_ptr(),
            c"tmpfs".as_ptr(),
            0,
            options.as_ptr().cast(),
        ) != 0
        {
            return Err(error("mounting /tmp"));
        }
    }
    Ok(())
}

/// One squatting attempt: `take` makes `/tmp/moshmux-0` another user's before the user's
/// first command; then `new`, `ls` and `kill-server` must work, in a private directory,
/// and `new` must say what it found.
fn squatted(home: &Path, take: impl Fn(&Path)) {
    let shared = PathBuf::from(format!("/tmp/moshmux-{}", nix::unistd::getuid()));
    take(&shared);
    let new = as_user(home, &["new", "--bind", "127.0.0.1", "-s", "s", "--", "sh"]);
    let stderr = String::from_utf8_lossy(&new.stderr);
    assert!(new.status.success(), "new was blocked: {stderr}");
    let fallback = home.join(".local/state/moshmux-runtime");
    assert!(
        stderr.contains(&format!("{}", shared.display()))
            && stderr.contains("another user may be trying to intercept moshmux")
            && stderr.contains(&format!("using {} instead", fallback.display())),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&new.stdout).starts_with("MOSHMUX CONNECT "));
    assert!(fallback.join("server.sock").exists());
    let ls = as_user(home, &["ls"]);
    assert!(
        String::from_utf8_lossy(&ls.stdout).starts_with("s: 1 windows"),
        "{ls:?}"
    );
    assert!(ls.stderr.is_empty(), "{ls:?}");
    assert!(as_user(home, &["kill-server"]).status.success());
    let _ = std::fs::remove_file(&shared).or_else(|_| std::fs::remove_dir_all(&shared));
}

#[test]
fn a_taken_tmp_directory_sends_the_users_commands_to_a_private_one() {
    const TEST: &str = "a_taken_tmp_directory_sends_the_users_commands_to_a_private_one";
    if !running_as_root() {
        return not_checked(TEST, "acting as another uid needs root");
    }
    // The scenario mounts a fresh /tmp over the real one, which would hide a build there.
    if bin().starts_with("/tmp") {
        return not_checked(TEST, "the build is under /tmp, which the test mounts over");
    }
    let home = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("runtime-dir-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).expect("creating the home");
    let scenario = {
        let home = home.clone();
        std::thread::spawn(move || {
            private_tmp()?;
            // A directory of theirs, open to everyone, as a squatter leaves it.
            squatted(&home, |shared| {
                nobodys_dir(shared);
                std::fs::set_permissions(shared, std::fs::Permissions::from_mode(0o777))
                    .expect("chmod");
            });
            // A link of theirs to a directory of ours: the check would pass through it,
            // and its target is theirs to swap at any moment.
            squatted(&home, |shared| {
                let ours = Path::new("/tmp/looks-like-ours");
                std::fs::create_dir_all(ours).expect("creating a directory of ours");
                std::fs::set_permissions(ours, std::fs::Permissions::from_mode(0o700))
                    .expect("chmod");
                symlink(ours, shared).expect("planting the link");
                std::os::unix::fs::lchown(shared, Some(NOBODY), Some(NOBODY))
                    .expect("giving the link to nobody");
            });
            Ok::<(), String>(())
        })
    };
    let outcome = scenario.join().expect("the scenario thread panicked");
    let _ = std::fs::remove_dir_all(&home);
    if let Err(why) = outcome {
        not_checked(TEST, &format!("no private /tmp ({why})"));
    }
}
