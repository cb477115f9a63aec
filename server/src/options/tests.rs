use super::*;

fn key(name: &str) -> OptionKey {
    OptionKey::parse(name).unwrap_or_else(|| panic!("{name} is not an option"))
}

fn parse(name: &str, text: Option<&str>) -> Result<OptionValue, OptionError> {
    let key = key(name);
    let current = match &key {
        OptionKey::Known(option) => option.default_value(),
        OptionKey::User(_) => OptionValue::Text(String::new()),
    };
    OptionValue::parse(&key, text, &current)
}

/// The defaults themselves are compared with tmux's in tests/tests/options.rs.
#[test]
fn options_are_listed_in_tmux_s_order_and_found_by_name() {
    let names: Vec<&str> = OptionName::ALL.iter().map(|option| option.name()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    for option in OptionName::ALL {
        assert_eq!(key(option.name()), OptionKey::Known(option));
        assert_eq!(
            parse(option.name(), Some(&option.default_value().bare())),
            Ok(option.default_value()),
            "{} takes its own default",
            option.name()
        );
    }
}

#[test]
fn flags_take_tmux_s_words_in_any_case_and_toggle_without_one() {
    for (text, on) in [
        ("on", true),
        ("YES", true),
        ("1", true),
        ("Off", false),
        ("no", false),
        ("0", false),
    ] {
        assert_eq!(
            parse("mouse", Some(text)),
            Ok(OptionValue::Flag(on)),
            "{text}"
        );
    }
    assert_eq!(parse("mouse", None), Ok(OptionValue::Flag(true)));
    assert_eq!(
        parse("mouse", Some("maybe")),
        Err(OptionError::BadValue("maybe".to_owned()))
    );
    assert_eq!(parse("status", None), Ok(OptionValue::Status(false)));
    assert_eq!(
        parse("status", Some("2")),
        Err(OptionError::UnknownValue("2".to_owned()))
    );
}

#[test]
fn choices_keys_and_user_text() {
    assert_eq!(
        parse("bell-action", Some("other")),
        Ok(OptionValue::BellAction(BellAction::Other))
    );
    assert_eq!(
        parse("window-size", Some("largest")),
        Ok(OptionValue::WindowSize(WindowSize::Largest))
    );
    assert_eq!(
        parse("set-clipboard", Some("sometimes")),
        Err(OptionError::UnknownValue("sometimes".to_owned()))
    );
    assert_eq!(
        parse("prefix", Some("^a")).map(|value| value.shown()),
        Ok("C-a".to_owned())
    );
    assert!(matches!(
        parse("prefix", Some("F12")),
        Err(OptionError::BadKey(_))
    ));
    assert_eq!(parse("prefix", None), Err(OptionError::EmptyValue));
    assert_eq!(parse("@x", None), Err(OptionError::EmptyValue));
    assert_eq!(
        parse("@x", Some("a \"b\" $c")).map(|value| value.shown()),
        Ok("\"a \\\"b\\\" \\$c\"".to_owned())
    );
    assert_eq!(OptionKey::parse("@"), None);
    assert_eq!(OptionKey::parse("nosuch"), None);
}

#[test]
fn client_options_take_the_first_level_that_set_each() {
    let mut session = Options::default();
    let mut global = Options::default();
    let mut server = Options::default();
    global.set(key("mouse"), OptionValue::Flag(true));
    session.set(key("mouse"), OptionValue::Flag(false));
    global.set(key("status"), OptionValue::Status(false));
    server.set(
        key("set-clipboard"),
        OptionValue::SetClipboard(SetClipboard::On),
    );
    let mut window = Options::default();
    let mut global_window = Options::default();
    global_window.set(key("mode-keys"), OptionValue::ModeKeys(ModeKeys::Emacs));
    let options = client_options(&[&session, &global, &server], &[&window, &global_window]);
    assert_eq!(
        options,
        ClientOptions {
            mouse: Some(false),
            status: Some(false),
            set_clipboard: Some(SetClipboard::On),
            mode_keys: Some(ModeKeys::Emacs),
            ..ClientOptions::default()
        }
    );
    window.set(key("mode-keys"), OptionValue::ModeKeys(ModeKeys::Vi));
    let options = client_options(&[], &[&window, &global_window]);
    assert_eq!(options.mode_keys, Some(ModeKeys::Vi));
    assert_eq!(client_options(&[], &[]).mode_keys, None);
}

#[test]
fn mode_keys_takes_tmux_s_words_and_is_a_window_option_defaulting_to_vi() {
    assert_eq!(OptionName::ModeKeys.scope(), Scope::Window);
    assert_eq!(OptionName::ModeKeys.default_value().shown(), "vi");
    assert_eq!(
        parse("mode-keys", Some("emacs")),
        Ok(OptionValue::ModeKeys(ModeKeys::Emacs))
    );
    assert_eq!(
        parse("mode-keys", Some("vi")),
        Ok(OptionValue::ModeKeys(ModeKeys::Vi))
    );
    assert_eq!(
        parse("mode-keys", Some("vim")),
        Err(OptionError::UnknownValue("vim".to_owned()))
    );
    assert_eq!(
        parse("mode-keys", None),
        Ok(OptionValue::ModeKeys(ModeKeys::Emacs))
    );
}
