//! The two programs this package installs answer to their names and the package's
//! version. Being an integration test of this package, it also makes `cargo test
//! --workspace` build both programs before any test runs: the other packages' tests run
//! them from `target/` (`moshmux_tests::harness::workspace_binary`).

use std::process::Command;

fn version_line(program: &str) -> String {
    let output = Command::new(program)
        .arg("--version")
        .output()
        .expect("the program runs");
    assert!(output.status.success(), "{program} --version failed");
    String::from_utf8_lossy(&output.stdout)
        .trim_end()
        .to_owned()
}

#[test]
fn both_programs_say_their_name_and_this_version() {
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        version_line(env!("CARGO_BIN_EXE_moshmux")),
        format!("moshmux {version}")
    );
    assert_eq!(
        version_line(env!("CARGO_BIN_EXE_moshmux-server")),
        format!("moshmux-server {version}")
    );
}
