//! The remote scripts run here by `sh`, as the remote login shell runs them, in a private
//! HOME with a private PATH directory first; and the lines the user reads.

use super::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A stand-in server: `--version` prints `version`, anything else prints `NAME ran` and
/// its arguments one a line, then the umask it runs with.
fn fake_server(name: &str, version: &str) -> String {
    format!(
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo '{version}'; exit 0; fi\n\
         echo '{name} ran'\nfor a in \"$@\"; do echo \"$a\"; done\numask\n"
    )
}

struct Remote {
    dir: tempfile::TempDir,
}

impl Remote {
    fn new() -> Remote {
        let remote = Remote {
            dir: tempfile::tempdir().expect("a temp dir"),
        };
        std::fs::create_dir(remote.home()).expect("HOME");
        std::fs::create_dir(remote.bin()).expect("bin");
        remote
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    /// `~/.local/share/moshmux/VERSION/SYSTEM-MACHINE` as the scripts name it here.
    fn install_dir(&self) -> PathBuf {
        let uname = |flag| {
            let out = Command::new("uname").arg(flag).output().expect("uname");
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        };
        let platform = format!("{}-{}", uname("-s"), uname("-m"));
        self.home()
            .join(".local/share/moshmux")
            .join(VERSION)
            .join(platform)
    }

    /// Runs the install command with `text` as the binary it streams, checked against
    /// `sha256` (its own when `None`); (stdout, success).
    fn install(&self, text: &str, sha256: Option<&str>) -> (String, bool) {
        let binary = self.dir.path().join("binary");
        write_executable(&binary, text);
        let own = format!("{:x}", Sha256::digest(text.as_bytes()));
        let stdin = File::open(&binary).expect("open");
        let command = install_command(sha256.unwrap_or(&own), &args());
        self.run(&command, stdin.into())
    }

    /// Runs the remote shell's line as `sh -c LINE` would on the host; (stdout, success).
    fn run(&self, line: &str, stdin: Stdio) -> (String, bool) {
        let path = format!("{}:/usr/bin:/bin", self.bin().display());
        let output = Command::new("sh")
            .args(["-c", line])
            .env_clear()
            .env("HOME", self.home())
            .env("PATH", path)
            .stdin(stdin)
            .output()
            .expect("sh runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        (stdout, output.status.success())
    }
}

fn write_executable(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("its directory");
    std::fs::write(path, text).expect("writing it");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn args() -> Vec<String> {
    ["new", "--session", "it's a name"]
        .map(String::from)
        .to_vec()
}

fn ran(name: &str) -> String {
    format!("{name} ran\nnew\n--session\nit's a name\n")
}

fn missing(stdout: &str) -> RemoteHost {
    match marker(stdout, "host") {
        Some(Failure::Missing(remote)) => remote,
        other => panic!("no missing-server marker in {stdout:?}: {other:?}"),
    }
}

#[test]
fn the_lookup_runs_this_version_from_path_else_the_installed_copy_else_says_what_is_there() {
    let remote = Remote::new();
    let (stdout, ok) = remote.run(&lookup_command(&args()), Stdio::null());
    assert!(!ok);
    let found = missing(&stdout);
    assert_eq!(
        (found.other.as_deref(), found.runs_ours()),
        (None, true),
        "{stdout}"
    );

    // Another version on PATH is named, and its `new` never runs.
    let on_path = remote.bin().join(SERVER_NAME);
    write_executable(&on_path, &fake_server("old", "moshmux-server 0.0.7"));
    let (stdout, ok) = remote.run(&lookup_command(&args()), Stdio::null());
    assert!(!ok && !stdout.contains("old ran"), "{stdout}");
    assert_eq!(
        missing(&stdout).other.as_deref(),
        Some("moshmux-server 0.0.7")
    );

    // The installed copy of this version, beside the other one on PATH.
    let installed = remote.install_dir().join(SERVER_NAME);
    let ours = format!("moshmux-server {VERSION}");
    write_executable(&installed, &fake_server("installed", &ours));
    let (stdout, ok) = remote.run(&lookup_command(&args()), Stdio::null());
    assert!(ok);
    assert!(stdout.starts_with(&ran("installed")), "{stdout}");

    // This version on PATH comes first.
    write_executable(&on_path, &fake_server("path", &ours));
    let (stdout, ok) = remote.run(&lookup_command(&args()), Stdio::null());
    assert!(ok);
    assert!(stdout.starts_with(&ran("path")), "{stdout}");
}

#[test]
fn the_install_checks_the_copy_keeps_it_private_and_runs_it_with_the_users_umask() {
    let remote = Remote::new();
    let binary = fake_server("copy", &format!("moshmux-server {VERSION}"));
    let (umask, _) = remote.run("umask", Stdio::null());
    let (stdout, ok) = remote.install(&binary, None);
    assert!(ok, "{stdout}");
    assert_eq!(stdout, format!("{}{umask}", ran("copy")));

    let dir = remote.install_dir();
    let installed = dir.join(SERVER_NAME);
    assert_eq!(
        std::fs::read(&installed).ok(),
        Some(binary.clone().into_bytes())
    );
    let mode = |path: &Path| std::fs::metadata(path).map(|m| m.mode() & 0o777).ok();
    assert_eq!(mode(&installed), Some(0o700));
    for private in [
        &dir,
        dir.parent().expect("version"),
        &remote.home().join(".local/share/moshmux"),
    ] {
        assert_eq!(mode(private), Some(0o700), "{}", private.display());
    }
    let entries = || std::fs::read_dir(&dir).expect("listing").count();
    assert_eq!(entries(), 1, "a temporary file was left");

    // A copy that does not match its checksum is refused, and leaves nothing behind.
    std::fs::remove_file(&installed).expect("removing the copy");
    let (stdout, ok) = remote.install(&binary, Some(&"0".repeat(64)));
    assert!(!ok && !stdout.contains("copy ran"), "{stdout}");
    let Some(Failure::NotRun(line)) = marker(&stdout, "me@host") else {
        panic!("no install failure in {stdout:?}");
    };
    assert!(line.contains("SHA-256 did not match"), "{line}");
    assert_eq!(entries(), 0, "something was left");
}

#[test]
fn a_copy_that_does_not_run_there_is_removed_with_its_reason() {
    let remote = Remote::new();
    let foreign = "#!/bin/sh\necho 'version `GLIBC_2.99` not found' >&2\nexit 1\n";
    let (stdout, ok) = remote.install(foreign, None);
    assert!(!ok);
    let Some(Failure::NotRun(line)) = marker(&stdout, "me@host") else {
        panic!("no install failure in {stdout:?}");
    };
    assert!(
        line.contains("does not run on me@host (version `GLIBC_2.99` not found)"),
        "{line}"
    );
    assert!(!line.contains('\n'));
    let left = std::fs::read_dir(remote.install_dir())
        .expect("listing")
        .count();
    assert_eq!(left, 0);
}

#[test]
fn the_missing_marker_is_read_strictly_and_its_text_made_printable() {
    let line = |rest: &str| parse_missing(rest);
    assert_eq!(
        line("Linux x86_64 "),
        Some(RemoteHost {
            system: "Linux".into(),
            machine: "x86_64".into(),
            other: None
        })
    );
    let other = line("Linux aarch64 moshmux-server 0.0.7\x1b]0;title\x07").expect("parses");
    assert_eq!(other.other.as_deref(), Some("moshmux-server 0.0.7]0;title"));
    for bad in ["Linux", "Linux x86/64", "../.. x86_64", "", " x86_64"] {
        assert_eq!(line(bad), None, "{bad:?}");
    }
}

#[test]
fn the_host_runs_ours_only_on_the_same_system_and_machine() {
    let host = |system: &str, machine: &str| RemoteHost {
        system: system.into(),
        machine: machine.into(),
        other: None,
    };
    if (std::env::consts::OS, std::env::consts::ARCH) == ("linux", "x86_64") {
        assert!(host("Linux", "x86_64").runs_ours());
        assert!(host("Linux", "amd64").runs_ours());
        assert!(!host("Linux", "aarch64").runs_ours());
        assert!(!host("Darwin", "x86_64").runs_ours());
    }
    assert!(!host("Plan9", "x86_64").runs_ours());
    assert!(!host("Linux", "s390x").runs_ours());
}

#[test]
fn each_line_names_the_situation_and_the_fix() {
    let none = RemoteHost {
        system: "Linux".into(),
        machine: "x86_64".into(),
        other: None,
    };
    let path = format!("me@host:~/.local/share/moshmux/{VERSION}/Linux-x86_64/moshmux-server");
    let line = none.declined("me@host", "");
    assert!(
        line.starts_with("moshmux: moshmux-server was not found on me@host; install"),
        "{line}"
    );
    for fix in [
        format!("install moshmux-server {VERSION} there"),
        format!("--install-server=yes to copy this one to {path}"),
        "--server PATH".to_owned(),
    ] {
        assert!(line.contains(&fix), "{fix} missing: {line}");
    }
    let old = RemoteHost {
        other: Some("moshmux-server 0.0.7".into()),
        ..none.clone()
    };
    let line = old.declined("me@host", "");
    let both = format!("me@host has moshmux-server 0.0.7, this moshmux is {VERSION}; ");
    assert!(line.starts_with(&format!("moshmux: {both}")), "{line}");
    assert!(line.contains("copy this one beside it to "), "{line}");
    let unknown = RemoteHost {
        other: Some("unknown".into()),
        ..none
    };
    assert!(unknown
        .situation("h")
        .starts_with("h has moshmux-server of an unknown version, "));
    for rest in [
        "sha256sum",
        "mkdir",
        "checksum",
        "run ld.so: no",
        "interrupted",
        "write",
    ] {
        let line = install_failed(rest, "h");
        assert!(
            line.starts_with("moshmux: installing moshmux-server "),
            "{line}"
        );
        assert!(line.ends_with("; nothing was installed"), "{line}");
    }
}
