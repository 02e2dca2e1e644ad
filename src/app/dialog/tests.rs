use super::*;

#[test]
fn a_paste_is_one_insertion_or_refused_whole() {
    let mut input = TextInput::prefilled("max");
    input.paste("512M").unwrap();
    assert_eq!((input.text(), input.cursor()), ("512M", 4));
    input.edit(Action::CursorLeft);
    input.paste("é1").unwrap();
    assert_eq!((input.text(), input.cursor()), ("512é1M", 5));
    for hostile in ["5\nKy", "12\x1b[31mRED", "a\tb", "\x07", "x\r"] {
        let why = input.paste(hostile).unwrap_err();
        assert!(why.contains("nothing was inserted"), "{why}");
        assert_eq!(input.text(), "512é1M", "{hostile:?} changed the field");
    }
    let why = input.paste(&"x".repeat(MAX_FIELD_CHARS)).unwrap_err();
    assert!(why.contains("room for 1018 more"), "{why}");
    input.paste(&"x".repeat(MAX_FIELD_CHARS - 6)).unwrap();
    input.edit(Action::Type('y'));
    assert_eq!(
        input.text().chars().count(),
        MAX_FIELD_CHARS,
        "typing past the bound"
    );
}

#[test]
fn a_new_childs_name_must_be_one_plain_name() {
    let parent = crate::cgroup::CgroupPath::from_relative(std::path::Path::new("a")).unwrap();
    for typed in ["/etc", "x/", "b/c", "..", "."] {
        let mut dialog = Dialog::Input(InputForm {
            title: String::new(),
            hint: String::new(),
            input: TextInput::prefilled(typed),
            purpose: InputPurpose::NewChild {
                parent: parent.clone(),
            },
            refusal: Vec::new(),
        });
        assert!(
            matches!(dialog.on_action(Action::Submit, 10), Step::Stay),
            "{typed:?} was accepted"
        );
        let Dialog::Input(form) = &dialog else {
            panic!("the form closed for {typed:?}");
        };
        assert!(form.refusal[0].contains("cannot"), "{:?}", form.refusal);
    }
    let mut dialog = Dialog::Input(InputForm {
        title: String::new(),
        hint: String::new(),
        input: TextInput::prefilled("new.scope"),
        purpose: InputPurpose::NewChild { parent },
        refusal: Vec::new(),
    });
    assert!(matches!(
        dialog.on_action(Action::Submit, 10),
        Step::Request(Pending::Edit(Op::Mkdir { .. }, _))
    ));
}
