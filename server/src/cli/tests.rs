use super::request::ssh_server_address;
use super::*;
use crate::control::PortChoice;
use crate::control::Request;
use clap::CommandFactory;

/// A target as the command line parses it.
fn parsed(text: &str) -> crate::target::Target {
    crate::target::Target::parse(text).expect("a well-formed target")
}

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("moshmux-server").chain(args.iter().copied()))
}

#[test]
fn definitions_are_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn every_flag_and_argument_has_help() {
    let cli = Cli::command();
    for command in cli.get_subcommands().filter(|c| !c.is_hide_set()) {
        for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
            let name = format!("{} {}", command.get_name(), arg.get_id());
            assert!(arg.get_help().is_some(), "{name} has no help");
        }
    }
    let help = cli.clone().render_long_help().to_string();
    assert!(help.contains("~/.config/moshmux/config.toml") && help.contains("[history]"));
}

#[test]
fn split_window_takes_tmux_flags() {
    let cli = parse(&["split-window", "-h", "-p", "30", "-t", "0:1.2", "--", "sh"]).unwrap();
    let request = cli.command.into_request().unwrap();
    assert_eq!(
        request,
        Request::SplitWindow(control::SplitWindow {
            target: Some(parsed("0:1.2")),
            side_by_side: true,
            size: Some(control::Length::Percent(30)),
            placement: Default::default(),
            cwd: None,
            command: vec!["sh".into()],
        })
    );
}

#[test]
fn history_is_bounded_by_default_and_a_flag_or_key_changes_it() {
    let unset = HistoryLimits::default().retention();
    assert_eq!(unset.max_total_bytes, Some(DEFAULT_TOTAL_BYTES));
    assert_eq!(
        (unset.max_lines_per_pane, unset.max_bytes_per_pane),
        (None, None)
    );
    let given = HistoryLimits {
        history_total_bytes: Some(5 << 30),
        ..HistoryLimits::default()
    };
    assert_eq!(given.retention().max_total_bytes, Some(5 << 30));
    // The daemon gets no flag for the default: it applies its own.
    assert!(HistoryLimits::default().to_args().is_empty());
}

#[test]
fn ports_are_checked() {
    let shared = PortChoice::Shared {
        first: 60001,
        last: 60001,
    };
    let range = PortChoice::PerClient {
        first: 60000,
        last: 61000,
    };
    assert_eq!(parse_ports("60001"), Ok(shared));
    assert_eq!(parse_ports("60000:61000"), Ok(range));
    assert_eq!(
        parse_ports("60000:60000").map(PortChoice::range),
        Ok((60000, 60000))
    );
    assert!(parse_ports("61000:60000").is_err());
    assert!(parse_ports("0").is_err());
    assert!(parse_ports("http").is_err());
    assert!(parse(&["new", "-p", "70000"]).is_err());
    assert!(parse(&["new", "--bind", "not-an-address"]).is_err());
}

#[test]
fn the_ssh_connection_names_the_address_to_bind() {
    let v4 = "192.0.2.7 52110 198.51.100.1 22";
    assert_eq!(ssh_server_address(v4), "198.51.100.1".parse().ok());
    let v6 = "2001:db8::7 52110 2001:db8::1 22";
    assert_eq!(ssh_server_address(v6), "2001:db8::1".parse().ok());
    // A scoped link-local address cannot be bound as such: bind every address instead.
    assert_eq!(ssh_server_address("fe80::7 1 fe80::1%eth0 22"), None);
    assert_eq!(ssh_server_address(""), None);
}

#[test]
fn unknown_flags_get_one_line_naming_the_accepted_ones() {
    let args = ["moshmux-server", "split-window", "-x", "-t", "0"];
    let error = Cli::try_parse_from(args).unwrap_err();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let line = usage_error(&error, &args);
    assert!(!line.contains('\n'), "{line}");
    assert!(line.contains("'-x'"), "{line}");
    assert!(
        line.contains("-h, -v, -p PCT, -t TARGET, COMMAND..."),
        "{line}"
    );
}

#[test]
fn select_layout_takes_a_name_or_prefix_and_refuses_another() {
    use moshmux_proto::layouts::{LayoutChoice, Preset};
    let choice = |args: &[&str]| match parse(args).unwrap().command.into_request().unwrap() {
        Request::SelectLayout(select) => (select.target, select.choice),
        other => panic!("not select-layout: {other:?}"),
    };
    assert_eq!(
        choice(&["select-layout", "-t", "w:1", "main-v"]),
        (
            Some(parsed("w:1")),
            LayoutChoice::Preset(Preset::MainVertical)
        )
    );
    assert_eq!(choice(&["selectl"]), (None, LayoutChoice::Again));
    assert_eq!(choice(&["selectl", "-p"]), (None, LayoutChoice::Previous));
    assert_eq!(choice(&["nextl"]), (None, LayoutChoice::Next));
    assert_eq!(choice(&["previous-layout"]), (None, LayoutChoice::Previous));
    let Err(refused) = parse(&["select-layout", "even"]) else {
        panic!("an ambiguous prefix was taken");
    };
    assert!(refused.to_string().contains("is not a layout"), "{refused}");
    assert!(parse(&["select-layout", "-n", "tiled"]).is_err());
}

#[test]
fn swap_pane_needs_a_source_or_a_direction() {
    assert!(parse(&["swap-pane", "-t", "w:0.1"]).is_err());
    let request = parse(&["swapp", "-d", "-U", "-t", "w:0.1"]).unwrap();
    assert_eq!(
        request.command.into_request().unwrap(),
        Request::SwapPane(control::SwapPane {
            target: Some(parsed("w:0.1")),
            source: None,
            step: Some(moshmux_proto::layouts::Step::Up),
            keep_position: true,
        })
    );
    assert!(parse(&["swap-pane", "-U", "-s", "w:0.2"]).is_err());
}

#[test]
fn new_window_and_respawn_take_tmux_flags() {
    let request = |args: &[&str]| parse(args).unwrap().command.into_request().unwrap();
    assert_eq!(
        request(&["neww", "-b", "-k", "-d", "-t", "s:3", "--", "top", "-b"]),
        Request::NewWindow(control::NewWindow {
            target: Some(parsed("s:3")),
            command: vec!["top".into(), "-b".into()],
            detached: true,
            placement: Some(control::Placement::Before),
            replace: true,
            ..Default::default()
        })
    );
    assert!(parse(&["new-window", "-a", "-b"]).is_err());
    let respawn = control::Respawn {
        target: Some(parsed("%3")),
        kill: true,
        cwd: Some("/tmp".into()),
        command: vec!["sh".into()],
    };
    let args = ["-k", "-c", "/tmp", "-t", "%3", "--", "sh"];
    for (name, wrap) in [
        ("respawn-pane", Request::RespawnPane as fn(_) -> _),
        ("respawnw", Request::RespawnWindow),
    ] {
        let line: Vec<&str> = std::iter::once(name).chain(args).collect();
        assert_eq!(request(&line), wrap(respawn.clone()));
    }
    assert_eq!(
        request(&["respawn-pane"]),
        Request::RespawnPane(control::Respawn::default())
    );
}

/// A malformed target is refused where it is typed, before any request is made, in the
/// one line the daemon answered when it parsed targets itself (tmux-compatible scripts
/// match these words); `-s` sources are targets too.
#[test]
fn a_bad_target_is_refused_by_the_parser_in_the_daemons_old_words() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["send-keys", "-t", "%x", "a"],
            "bad pane id \"%x\": pane ids look like %3",
        ),
        (
            &["select-pane", "-t", "a:1.b"],
            "bad pane index \"b\" in target: pane indexes are numbers",
        ),
        (
            &["capture-pane", "-p", "-t", "%"],
            "bad pane id \"%\": pane ids look like %3",
        ),
        (
            &["join-pane", "-s", "%\u{1b}"],
            "bad pane id \"%\\033\": pane ids look like %3",
        ),
    ];
    for (args, line) in cases {
        let error = parse(args).expect_err("a bad target");
        let args: Vec<String> = std::iter::once("moshmux-server")
            .chain(args.iter().copied())
            .map(str::to_owned)
            .collect();
        assert_eq!(usage_error(&error, &args), line, "{args:?}");
    }
}

#[test]
fn targets_are_parsed_into_the_request() {
    use crate::target::{SessionRef, Target, WindowRef};
    let request = parse(&["send-keys", "-t", "work:vim.2", "a"])
        .unwrap()
        .command
        .into_request()
        .unwrap();
    let Request::SendKeys(send) = request else {
        panic!("not send-keys: {request:?}");
    };
    assert_eq!(
        send.target,
        Some(Target::Path {
            session: SessionRef::Name("work".into()),
            window: Some(WindowRef::Name("vim".into())),
            pane: Some(2),
        })
    );
    let request = parse(&["kill-pane", "-t", "%7"])
        .unwrap()
        .command
        .into_request();
    assert_eq!(
        request,
        Some(Request::KillPane(Some(Target::Pane(
            crate::pane_id::PaneId(7)
        ))))
    );
}

#[test]
fn a_command_without_dashes_is_taken_as_tmux_takes_it() {
    let command = |args: &[&str]| match parse(args).unwrap().command.into_request().unwrap() {
        Request::SplitWindow(split) => split.command,
        Request::NewWindow(new) => new.command,
        Request::RespawnPane(respawn) => respawn.command,
        other => panic!("{other:?}"),
    };
    let line = command(&["split-window", "-h", "seq 1 5; sleep 9"]);
    assert_eq!(
        line[1..],
        ["-c", "seq 1 5; sleep 9"],
        "one line: through the shell"
    );
    assert_eq!(
        command(&["new-window", "-d", "top", "-d", "1"]),
        ["top", "-d", "1"]
    );
    assert_eq!(command(&["respawn-pane", "-k", "htop"]), ["htop"]);
    assert_eq!(command(&["new-window", "--", "vi", "-R"]), ["vi", "-R"]);
    assert!(
        parse(&["split-window", "-x"]).is_err(),
        "an unknown flag is no command"
    );
}
