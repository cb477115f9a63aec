//! The man pages and completions name every subcommand and flag a user can type, of both
//! programs, and nothing hidden; the generator writes them all.

use std::collections::BTreeMap;
use std::path::PathBuf;

use moshmux_dist::{completions, man_pages, programs, write_all};

/// A man page's text as `man` would print it, near enough: roff escapes a dash.
fn unroff(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace("\\-", "-")
}

fn by_path(files: Vec<moshmux_dist::Generated>) -> BTreeMap<PathBuf, String> {
    files
        .into_iter()
        .map(|file| (file.path, unroff(&file.bytes)))
        .collect()
}

/// Every subcommand a user can type, with its visible long flags: (program, name, flags).
fn subcommands() -> Vec<(String, String, Vec<String>)> {
    let mut found = Vec::new();
    for program in programs() {
        let name = program.get_name().to_owned();
        for sub in program.get_subcommands().filter(|sub| !sub.is_hide_set()) {
            let flags = sub
                .get_arguments()
                .filter(|arg| !arg.is_hide_set())
                .filter_map(|arg| arg.get_long().map(str::to_owned))
                .collect();
            found.push((name.clone(), sub.get_name().to_owned(), flags));
        }
    }
    found
}

#[test]
fn each_subcommand_has_a_man_page_naming_its_flags_and_its_program_lists_it() {
    let pages = by_path(man_pages().expect("rendering"));
    let commands = subcommands();
    assert!(commands.len() > 30, "{} subcommands", commands.len());
    for (program, name, flags) in &commands {
        let top = &pages[&PathBuf::from(format!("man/{program}.1"))];
        assert!(top.contains(&format!("{program}-{name}(1)")) || top.contains(name));
        let path = PathBuf::from(format!("man/{program}-{name}.1"));
        let page = pages
            .get(&path)
            .unwrap_or_else(|| panic!("no {}", path.display()));
        for flag in flags {
            assert!(
                page.contains(&format!("--{flag}")),
                "{path:?} lacks --{flag}"
            );
        }
    }
    let attach = &pages[&PathBuf::from("man/moshmux-attach.1")];
    for needle in ["--install-server", "ask", "yes", "no", "--session", "--ssh"] {
        assert!(attach.contains(needle), "moshmux-attach.1 lacks {needle}");
    }
    let capture = &pages[&PathBuf::from("man/moshmux-server-capture-pane.1")];
    assert!(capture.contains("-S") && capture.contains("-t"));
    // The server's internal daemon subcommand is hidden, and so has no page.
    assert!(!pages.contains_key(&PathBuf::from("man/moshmux-server-daemon.1")));
    assert_eq!(pages.len(), commands.len() + 2);
}

#[test]
fn completions_for_bash_zsh_and_fish_name_every_subcommand_and_flag() {
    let scripts = by_path(completions());
    for (program, name, flags) in subcommands() {
        for (file, spell) in [
            (format!("{program}.bash"), "--"),
            (format!("_{program}"), "--"),
            (format!("{program}.fish"), "-l "),
        ] {
            let script = &scripts[&PathBuf::from("completions").join(&file)];
            assert!(script.contains(&name), "{file} lacks {name}");
            for flag in &flags {
                assert!(
                    script.contains(&format!("{spell}{flag}")),
                    "{file} lacks {spell}{flag} of {name}"
                );
            }
        }
    }
    let fish = &scripts[&PathBuf::from("completions/moshmux.fish")];
    assert!(
        fish.contains("__fish_moshmux_using_subcommand attach"),
        "{fish}"
    );
    assert!(
        fish.contains("-l install-server") && fish.contains("\"ask\\t"),
        "{fish}"
    );
}

#[test]
fn the_generator_writes_every_file_under_its_directory() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let written = write_all(dir.path()).expect("writing");
    let expected = man_pages().expect("rendering").len() + completions().len();
    assert_eq!(written.len(), expected);
    for path in written {
        assert!(path.starts_with(dir.path()), "{}", path.display());
        let size = std::fs::metadata(&path).expect("written").len();
        assert!(size > 100, "{} is {size} bytes", path.display());
    }
}
