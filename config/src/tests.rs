use std::collections::BTreeMap;
use std::ffi::OsString;

use super::*;

/// A reader that takes the keys it was told about and records them as text.
#[derive(Default)]
struct Recorder {
    known: &'static [&'static str],
    taken: BTreeMap<String, String>,
}

impl Table for Recorder {
    fn set(&mut self, key: &str, value: Value<'_>) -> Result<(), Refusal> {
        if !self.known.contains(&key) {
            return Err(Refusal::UnknownKey);
        }
        let text = match value {
            _ if key == "predict" => format!("{:?}", value.choice::<Mode>()?),
            Value::String(text) => text.to_owned(),
            Value::Boolean(_) => value.boolean()?.to_string(),
            _ => value.count()?.to_string(),
        };
        self.taken.insert(key.to_owned(), text);
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Mode {
    Adaptive,
    Always,
    Never,
}

/// Reads `text` from a real file with a `client` and a `client.bind` reader.
fn read_client(text: &str) -> (Recorder, Recorder, Vec<String>, PathBuf) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).expect("writing the file");
    let mut client = Recorder {
        known: &["prefix", "predict", "status-line", "bind"],
        ..Recorder::default()
    };
    let mut bind = Recorder {
        known: &["|", "x"],
        ..Recorder::default()
    };
    let problems = read(
        "moshmux",
        &path,
        &mut [("client", &mut client), ("client.bind", &mut bind)],
    );
    (client, bind, problems, path)
}

#[test]
fn the_file_lives_under_xdg_config_home_else_home() {
    let os = |s: &str| Some(OsString::from(s));
    assert_eq!(
        path_from(os("/cfg"), os("/home/u")),
        Some(PathBuf::from("/cfg/moshmux/config.toml"))
    );
    for ignored in [os("relative"), os(""), None] {
        assert_eq!(
            path_from(ignored, os("/home/u")),
            Some(PathBuf::from("/home/u/.config/moshmux/config.toml"))
        );
    }
    assert_eq!(path_from(None, None), None);
    assert_eq!(path_from(None, os("")), None);
}

#[test]
fn good_keys_reach_their_tables_and_other_programs_tables_are_skipped() {
    let (client, bind, problems, _) = read_client(
        "[client]\nprefix = \"C-a\"\nstatus-line = false\n[client.bind]\n\"|\" = \"split-window -h\"\n\
         [server]\nwindow-size = 3\n[history]\nwhatever = true\n",
    );
    assert_eq!(problems, Vec::<String>::new());
    assert_eq!(client.taken["prefix"], "C-a");
    assert_eq!(client.taken["status-line"], "false");
    assert_eq!(bind.taken["|"], "split-window -h");
}

#[test]
fn a_missing_file_is_no_problem() {
    let mut client = Recorder::default();
    let problems = read(
        "moshmux",
        Path::new("/nonexistent/moshmux/config.toml"),
        &mut [("client", &mut client)],
    );
    assert!(problems.is_empty() && client.taken.is_empty());
}

#[test]
fn a_syntax_error_names_its_line_and_keeps_every_default() {
    let (client, _, problems, path) =
        read_client("[client]\nprefix = \"C-a\"\n\npredict = adaptive\n");
    assert_eq!(problems.len(), 1, "{problems:?}");
    let start = format!("moshmux: {} line 4: ", path.display());
    assert!(problems[0].starts_with(&start), "{problems:?}");
    assert!(
        problems[0].ends_with("; using the defaults"),
        "{problems:?}"
    );
    assert!(!problems[0].contains('\n'), "{problems:?}");
    assert!(client.taken.is_empty());
}

#[test]
fn bad_values_and_unknown_keys_name_line_and_key_and_the_rest_applies() {
    let (client, bind, problems, path) = read_client(
        "# comment\n[client]\npredict = 7\nprefix = \"C-a\"\ncolour = 1\n[client.bind]\nx = \"y\"\n\"?\" = 1\n\
         [clinet]\nprefix = 1\n",
    );
    let file = path.display();
    assert_eq!(
        problems,
        [
            format!("moshmux: {file} line 3: client.predict: expected adaptive, always or never; using the default"),
            format!("moshmux: {file} line 5: client.colour: unknown key; it is ignored"),
            format!("moshmux: {file} line 8: client.bind.\"?\": unknown key; it is ignored"),
            format!(
                "moshmux: {file} line 9: clinet: unknown key: the file has [client], [server], \
                 [history] and [options] tables; it is ignored"
            ),
        ]
    );
    assert_eq!(client.taken["prefix"], "C-a");
    assert!(!client.taken.contains_key("predict"));
    assert_eq!(bind.taken["x"], "y");
}

#[test]
fn a_table_written_as_a_value_is_refused() {
    let (_, _, problems, _) = read_client("client = 3\n");
    assert_eq!(problems.len(), 1);
    assert!(problems[0].ends_with("line 1: client: expected a table; it is ignored"));
    // A table where a value belongs goes to the reader, which refuses it as a value.
    let (client, _, problems, _) = read_client("[client.predict]\na = 1\n");
    assert!(client.taken.is_empty());
    assert!(
        problems[0].contains("client.predict: expected"),
        "{problems:?}"
    );
}

#[test]
fn choices_use_the_flag_vocabulary() {
    assert_eq!(Value::String("never").choice::<Mode>(), Ok(Mode::Never));
    assert_eq!(
        Value::String("sometimes").choice::<Mode>(),
        Err(expected("adaptive, always or never"))
    );
    assert_eq!(
        Value::Integer(1).choice::<Mode>(),
        Err(expected("adaptive, always or never"))
    );
    assert_eq!(
        Value::Integer(-1).count(),
        Err(expected("a number, 0 or more"))
    );
    assert_eq!(Value::Integer(0x10).count(), Ok(16));
}
