//! The control frames on their own: round trips, tags, versions and limits.

use super::*;

fn round_trip(request: Request) {
    let mut bytes = Vec::new();
    write_request(&mut bytes, &request).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let decoded = runtime
        .block_on(read_request(&mut bytes.as_slice()))
        .unwrap();
    assert_eq!(decoded, request);
}

#[test]
fn requests_round_trip() {
    round_trip(Request::ListSessions(List::default()));
    round_trip(Request::SendKeys(SendKeys {
        target: Some(Target::parse("work:1.0").unwrap()),
        literal: false,
        keys: vec!["echo hi".into(), "Enter".into()],
    }));
    round_trip(Request::NewClient(NewClient {
        session: NewSession {
            name: None,
            command: vec!["sh".into()],
            cwd: Some("/tmp".into()),
            join_recent: true,
            window_size: Some(WindowSize::Smallest),
            environment: Environment::from_client(
                &["EDITOR".into()],
                &[("PS1".into(), "$ ".into())],
                |_| Some("x".into()),
            ),
            options: vec![("status-left".into(), "#S ".into())],
        },
        bind: vec![IpAddr::from([127, 0, 0, 1]), "::1".parse().unwrap()],
        ports: PortChoice::Shared {
            first: 60001,
            last: 61000,
        },
        network_timeout_secs: Some(30),
        forward_agent: true,
        detach_others: false,
    }));
}

#[test]
fn targets_travel_parsed() {
    for text in ["%12", "work", "work:vim.1", "0:3"] {
        let target = Target::parse(text).unwrap();
        round_trip(Request::CapturePane(CapturePane {
            target: target.clone(),
            escapes: false,
            start: None,
            end: Some(LineRef::Oldest),
        }));
        round_trip(Request::KillPane(Some(target)));
    }
    // The mux names a client's session by id, which no text reaches.
    round_trip(Request::SelectWindow(SelectWindow {
        target: Some(Target::window(crate::pane_id::SessionId(4), 2)),
        which: WindowChoice::Target,
    }));
}

#[test]
fn buffer_names_and_formats_are_no_targets() {
    round_trip(Request::ShowBuffer(BufferName(Some("buffer0".into()))));
    round_trip(Request::DeleteBuffer(BufferName(None)));
    round_trip(Request::ListBuffers(BufferFormat(Some(
        "#{buffer_name}".into(),
    ))));
}

#[test]
fn messages_are_named_by_tag_not_position() {
    let envelope = Envelope {
        version: PROTOCOL_VERSION,
        tag: "kill-server".into(),
        body: Vec::new(),
    };
    let request = Request::from_envelope(envelope).unwrap();
    assert_eq!(request, Request::KillServer(()));
}

#[test]
fn other_versions_and_tags_are_refused_in_words() {
    let newer = Envelope {
        version: PROTOCOL_VERSION + 1,
        tag: "kill-server".into(),
        body: Vec::new(),
    };
    assert!(matches!(
        Request::from_envelope(newer),
        Err(ControlError::Version(v)) if v == PROTOCOL_VERSION + 1
    ));
    let unknown = Envelope {
        version: PROTOCOL_VERSION,
        tag: "teleport".into(),
        body: Vec::new(),
    };
    assert!(matches!(
        Request::from_envelope(unknown),
        Err(ControlError::UnknownTag(tag)) if tag == "teleport"
    ));
}

#[test]
fn oversized_frames_are_refused_before_allocating() {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&u32::MAX.to_be_bytes());
    assert!(matches!(
        read_reply(&mut bytes.as_slice()),
        Err(ControlError::TooLarge(_))
    ));
}

#[test]
fn a_frame_cut_short_is_an_error_naming_both_sizes() {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&(MAX_FRAME_LEN as u32).to_be_bytes());
    bytes.extend_from_slice(b"ten bytes!");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let request = runtime.block_on(read_request(&mut bytes.as_slice()));
    assert!(matches!(
        request,
        Err(ControlError::Truncated {
            announced: MAX_FRAME_LEN,
            received: 10
        })
    ));
    assert!(matches!(
        read_reply(&mut bytes.as_slice()),
        Err(ControlError::Truncated {
            announced: MAX_FRAME_LEN,
            received: 10
        })
    ));
}
