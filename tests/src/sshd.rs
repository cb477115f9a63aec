//! A real OpenSSH `sshd` on a loopback port, for tests of what runs through `ssh`.
//!
//! It listens on 127.0.0.1 and ::1 unless [`SshdOptions`] say otherwise (the forwarding
//! bench puts it on the host side of an [`IpLink`](crate::iplink::IpLink)). Everything it needs lives in a private 0700 directory: a host key and a user key made
//! by `ssh-keygen`, an `authorized_keys` with the user key, and the configuration. It
//! admits only the current user (root in CI, hence `PermitRootLogin prohibit-password`),
//! and only with that key.
//!
//! Remote commands run with `HOME` set to an empty directory and `SHELL=/bin/sh`, so
//! neither the command nor a pane's shell reads the user's own dotfiles (nor the remote
//! `moshmux-server` the user's `~/.config/moshmux/config.toml`): a login bash
//! that sources a slow profile would otherwise stall every test, and a test must not
//! depend on the user's login shell. Their `PATH` starts with the fixture's own `bin`
//! ([`Sshd::remote_bin`], empty until a test puts a stand-in there), then the system's
//! directories. `MOSHMUX_DIR` passes through (`AcceptEnv`), so a test
//! points the remote side at its private daemon with [`Sshd::ssh_command`].

use std::fs::{self, File};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::private_dir;

const SSHD: &str = "/usr/sbin/sshd";
/// The privilege separation directory `sshd` refuses to start without.
const PRIVSEP_DIR: &str = "/run/sshd";
/// How long `sshd` may take to say it is listening.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// Attempts at a free port: another process may take the one we found before `sshd`
/// binds it.
const PORT_ATTEMPTS: usize = 5;

pub struct Sshd {
    dir: PathBuf,
    port: u16,
    user: String,
    /// The addresses it listens on; the first is the one [`Sshd::destination`] names.
    listen: Vec<IpAddr>,
    process: Child,
}

/// Where `sshd` listens and what it allows beyond a login.
#[derive(Clone, Debug)]
pub struct SshdOptions {
    /// Not empty; the first is where `sshd` is reached ([`Sshd::destination`]).
    pub listen: Vec<IpAddr>,
    /// `ssh -L` and `-R` (`AllowTcpForwarding`).
    pub tcp_forwarding: bool,
}

impl Default for SshdOptions {
    /// Loopback, both families; no forwarding.
    fn default() -> Self {
        SshdOptions {
            listen: vec![Ipv4Addr::LOCALHOST.into(), Ipv6Addr::LOCALHOST.into()],
            tcp_forwarding: false,
        }
    }
}

impl Sshd {
    /// Generates the keys and configuration and starts `sshd` on loopback; returns once
    /// it listens. Panics, with `sshd`'s log, if it cannot.
    pub fn start() -> Sshd {
        Sshd::start_with(SshdOptions::default())
    }

    /// [`Sshd::start`] with `options`. `sshd` joins the network namespace of the calling
    /// thread, so a caller inside [`Netns::run`](crate::iplink::Netns::run) starts it there.
    pub fn start_with(options: SshdOptions) -> Sshd {
        let first = *options.listen.first().expect("sshd listens somewhere");
        let dir = private_dir("sshd");
        for remote in ["home", "bin"] {
            fs::DirBuilder::new()
                .mode(0o700)
                .create(dir.join(remote))
                .expect("creating the remote HOME and PATH directory");
        }
        keygen(&dir.join("host_key"));
        keygen(&dir.join("user_key"));
        let authorized = dir.join("authorized_keys");
        fs::copy(dir.join("user_key.pub"), &authorized).expect("writing authorized_keys");
        fs::set_permissions(&authorized, fs::Permissions::from_mode(0o600))
            .expect("restricting authorized_keys");
        // sshd checks this exists when it runs as root; a package install normally makes it.
        if !Path::new(PRIVSEP_DIR).is_dir() {
            let _ = fs::DirBuilder::new().mode(0o755).create(PRIVSEP_DIR);
        }
        let user = current_user();
        let mut last_log = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port(first);
            let config = dir.join("sshd_config");
            fs::write(&config, config_text(&dir, port, &user, &options))
                .expect("writing sshd_config");
            let log = dir.join("sshd.log");
            let process = Command::new(SSHD)
                .args(["-D", "-e", "-f"])
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(File::create(&log).expect("creating the sshd log"))
                .spawn()
                .unwrap_or_else(|error| {
                    panic!("cannot run {SSHD}: {error}; install openssh-server")
                });
            let mut process = process;
            match wait_until_listening(&mut process, &log, first, port) {
                Ok(()) => {
                    return Sshd {
                        dir,
                        port,
                        user,
                        listen: options.listen,
                        process,
                    }
                }
                Err(text) => {
                    last_log = text;
                    let _ = process.kill();
                    let _ = process.wait();
                }
            }
        }
        let _ = fs::remove_dir_all(&dir);
        panic!("sshd did not start; its log:\n{last_log}");
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The private key the server accepts.
    pub fn user_key(&self) -> PathBuf {
        self.dir.join("user_key")
    }

    /// The `HOME` remote commands get: an empty directory of the fixture's own.
    pub fn remote_home(&self) -> PathBuf {
        self.dir.join("home")
    }

    /// The first directory of the remote commands' `PATH`, empty until a test fills it.
    pub fn remote_bin(&self) -> PathBuf {
        self.dir.join("bin")
    }

    /// `user@ADDRESS` for the current user and the first address it listens on
    /// (`127.0.0.1` unless the options said otherwise).
    pub fn destination(&self) -> String {
        format!("{}@{}", self.user, self.listen[0])
    }

    /// `user@::1`: the same server over IPv6.
    pub fn destination_ipv6(&self) -> String {
        format!("{}@::1", self.user)
    }

    /// An `ssh` command line (without the destination) that logs in to this server with
    /// no questions and no host key bookkeeping, and sets `MOSHMUX_DIR` on the remote
    /// side. Paths must not need quoting: they are temp dirs of our own making.
    pub fn ssh_command(&self, moshmux_dir: &Path) -> String {
        let words = [
            "ssh".to_owned(),
            format!("-p {}", self.port),
            format!("-i {}", self.user_key().display()),
            "-o StrictHostKeyChecking=no".to_owned(),
            "-o UserKnownHostsFile=/dev/null".to_owned(),
            "-o BatchMode=yes".to_owned(),
            "-o LogLevel=ERROR".to_owned(),
            format!("-o SetEnv=MOSHMUX_DIR={}", moshmux_dir.display()),
        ];
        let command = words.join(" ");
        assert!(
            !command.contains(['\'', '"', '\\', '$']),
            "a path needs quoting: {command}"
        );
        command
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn config_text(dir: &Path, port: u16, user: &str, options: &SshdOptions) -> String {
    let dir = dir.display();
    let listen: String = options
        .listen
        .iter()
        .map(|addr| format!("ListenAddress {addr}\n"))
        .collect();
    let forwarding = if options.tcp_forwarding { "yes" } else { "no" };
    format!(
        "\
{listen}Port {port}
HostKey {dir}/host_key
PidFile none
AuthorizedKeysFile {dir}/authorized_keys
AllowUsers {user}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
AcceptEnv MOSHMUX_DIR
SetEnv HOME={dir}/home SHELL=/bin/sh PATH={dir}/bin:/usr/local/bin:/usr/bin:/bin
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding {forwarding}
LogLevel INFO
"
    )
}

/// Polls `sshd`'s log for the line that says its socket is bound; `Err` holds the log.
fn wait_until_listening(
    process: &mut Child,
    log: &Path,
    addr: IpAddr,
    port: u16,
) -> Result<(), String> {
    let ready = format!("Server listening on {addr} port {port}");
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let text = fs::read_to_string(log).unwrap_or_default();
        if text.contains(&ready) {
            return Ok(());
        }
        if matches!(process.try_wait(), Ok(Some(_))) || Instant::now() >= deadline {
            return Err(text);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn keygen(path: &Path) {
    let output = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "moshmux-test", "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("cannot run ssh-keygen: {error}; install openssh-client"));
    assert!(
        output.status.success(),
        "ssh-keygen failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn current_user() -> String {
    let output = Command::new("id").arg("-un").output().expect("id -un runs");
    let user = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert!(!user.is_empty(), "no user name from id -un");
    user
}

/// A TCP port on `addr` that was free a moment ago.
fn free_port(addr: IpAddr) -> u16 {
    std::net::TcpListener::bind((addr, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("binding a loopback port")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_a_command_as_the_current_user_with_a_private_home() {
        let sshd = Sshd::start();
        let moshmux_dir = sshd.dir.join("mmx");
        let ssh = sshd.ssh_command(&moshmux_dir);
        let words: Vec<&str> = ssh.split(' ').collect();
        let output = Command::new(words[0])
            .args(&words[1..])
            .arg(sshd.destination())
            .arg("echo \"$(id -un) $HOME $SHELL $MOSHMUX_DIR $PATH\"")
            .stdin(Stdio::null())
            .output()
            .expect("ssh runs");
        assert!(
            output.status.success(),
            "ssh failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let expected = format!(
            "{} {dir}/home /bin/sh {} {dir}/bin:/usr/local/bin:/usr/bin:/bin\n",
            sshd.user,
            moshmux_dir.display(),
            dir = sshd.dir.display(),
        );
        assert_eq!(String::from_utf8_lossy(&output.stdout), expected);
    }
}
