use super::*;
use crate::cgroup::rules::Rule;
use std::collections::{BTreeMap, BTreeSet};

/// Every message of one language's files: id → the variables its placeables name.
fn messages(lang: Lang) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, text) in files(lang) {
        let mut current: Option<String> = None;
        for line in text.lines() {
            let starts_message = line.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
            if starts_message {
                let (id, _) = line
                    .split_once('=')
                    .unwrap_or_else(|| panic!("{}/{name}: {line:?}", lang.code()));
                let id = id.trim().to_string();
                assert!(!out.contains_key(&id), "{}/{name}: {id} twice", lang.code());
                out.insert(id.clone(), BTreeSet::new());
                current = Some(id);
            } else if line.starts_with('#') || line.trim().is_empty() {
                current = None;
                continue;
            }
            let Some(id) = &current else { continue };
            // `$name` inside `{ … }` only: a `$` in text (`$XDG_CONFIG_HOME`) is not a variable.
            let mut depth = 0;
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    '"' if depth > 0 => {
                        // A string literal: `{"{"}`.
                        for c in chars.by_ref() {
                            if c == '"' {
                                break;
                            }
                        }
                    }
                    '$' if depth > 0 => {
                        let mut variable = String::new();
                        while let Some(&c) = chars.peek() {
                            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                                variable.push(c);
                                chars.next();
                            } else {
                                break;
                            }
                        }
                        out.get_mut(id).expect("inserted").insert(variable);
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

fn is_translation_only(id: &str) -> bool {
    TRANSLATION_PREFIXES.iter().any(|p| id.starts_with(p))
}

#[test]
fn every_message_has_both_languages_with_the_same_variables() {
    let en = messages(Lang::En);
    let zh = messages(Lang::Zh);
    assert!(
        en.len() > 20,
        "the scan found {} English messages",
        en.len()
    );
    for (id, variables) in &en {
        assert!(
            !is_translation_only(id),
            "{id}: the English of a translation-only id lives in code"
        );
        assert_eq!(zh.get(id), Some(variables), "{id}: zh differs from en");
    }
    for (id, variables) in &zh {
        if is_translation_only(id) {
            continue;
        }
        assert_eq!(en.get(id), Some(variables), "{id}: en differs from zh");
    }
    // The scan sees variables (a scan that found none would pass the comparison).
    assert_eq!(
        en["check-converted"],
        BTreeSet::from(["writes".to_string(), "typed".to_string()])
    );
    assert!(en["legend-config"].is_empty(), "$XDG_CONFIG_HOME is text");
}

#[test]
fn every_message_formats_without_errors_given_its_variables() {
    for lang in Lang::ALL {
        let bundle = catalogue(lang);
        for (id, variables) in messages(lang) {
            let message = bundle.get_message(&id).unwrap_or_else(|| panic!("{id}"));
            let pattern = message
                .value()
                .unwrap_or_else(|| panic!("{id} has no value"));
            let mut args = FluentArgs::new();
            for v in &variables {
                args.set(v.clone(), format!("<{v}>"));
            }
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
            assert!(errors.is_empty(), "{}/{id}: {errors:?}", lang.code());
            for v in &variables {
                assert!(text.contains(&format!("<{v}>")), "{id}: {v} not shown");
            }
            // No Unicode isolation marks reach the terminal.
            assert!(!text.contains(['\u{2068}', '\u{2069}']), "{id}");
        }
    }
}

#[test]
fn every_rule_meaning_is_translated_and_nothing_else_is_keyed_rule() {
    let zh = messages(Lang::Zh);
    for rule in Rule::ALL {
        let id = format!("rule-{}", rule.id());
        assert!(zh.contains_key(&id), "no Chinese for {id}");
        let chinese = with(Lang::Zh, || rule_meaning(rule).into_owned());
        assert_ne!(chinese, rule.meaning(), "{id}");
        assert_eq!(
            with(Lang::En, || rule_meaning(rule).into_owned()),
            rule.meaning()
        );
    }
    for id in zh.keys().filter(|id| id.starts_with("rule-")) {
        assert!(
            Rule::ALL.iter().any(|r| format!("rule-{}", r.id()) == *id),
            "{id} names no rule"
        );
    }
    assert_eq!(with(Lang::En, || translated_meaning(Rule::NotEmpty)), None);
    assert!(with(Lang::Zh, || translated_meaning(Rule::NotEmpty)).is_some());
}

#[test]
fn the_locale_chooses_the_language() {
    assert_eq!(Lang::of_locale("zh_CN.UTF-8"), Lang::Zh);
    // Only Simplified Chinese exists: Taiwan's and Hong Kong's locales get it too.
    assert_eq!(Lang::of_locale("zh_TW.UTF-8"), Lang::Zh);
    assert_eq!(Lang::of_locale("zh_HK"), Lang::Zh);
    assert_eq!(Lang::of_locale("zh"), Lang::Zh);
    assert_eq!(Lang::of_locale("en_US.UTF-8"), Lang::En);
    assert_eq!(Lang::of_locale("C.UTF-8"), Lang::En);
    assert_eq!(Lang::of_locale("POSIX"), Lang::En);
    assert_eq!(Lang::of_locale("de_DE"), Lang::En);
    let env = |vars: &'static [(&'static str, &'static str)]| {
        Lang::from_vars(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    };
    assert_eq!(env(&[("LANG", "zh_CN.UTF-8")]), Lang::Zh);
    // LC_ALL wins over LC_MESSAGES, which wins over LANG; an empty one is skipped.
    assert_eq!(
        env(&[("LC_ALL", "C"), ("LC_MESSAGES", "zh_CN"), ("LANG", "zh_CN")]),
        Lang::En
    );
    assert_eq!(
        env(&[("LC_ALL", ""), ("LC_MESSAGES", "zh_CN"), ("LANG", "en_US")]),
        Lang::Zh
    );
    assert_eq!(env(&[]), Lang::En);
}

#[test]
fn the_language_is_per_thread_under_with_and_restored_after() {
    let outside = current();
    let inside = with(Lang::Zh, || {
        assert_eq!(with(Lang::En, current), Lang::En);
        current()
    });
    assert_eq!(inside, Lang::Zh);
    assert_eq!(current(), outside);
    assert_eq!(
        with(Lang::Zh, || t!("check-see", doc = "x")),
        "参见 x".to_string()
    );
    assert_eq!(with(Lang::En, || t!("check-see", doc = "x")), "see x");
    // A text kept in code without a translation stays as it is.
    assert_eq!(
        with(Lang::Zh, || translate("key-none-such", "as written")),
        "as written"
    );
    assert_eq!(with(Lang::Zh, || translate("rule-ok", "allowed")), "允许");
    assert_eq!(
        with(Lang::En, || translate("rule-ok", "allowed")),
        "allowed"
    );
    // An unknown id shows itself rather than nothing.
    assert_eq!(text("no-such-message", &[]), "no-such-message");
}

fn texts(pieces: &[Piece]) -> Vec<&str> {
    pieces.iter().map(|p| p.text.as_str()).collect()
}

#[test]
fn pieces_break_between_cjk_characters_but_never_inside_latin_words() {
    assert_eq!(
        texts(&pieces("写入 cgroup.procs 文件。")),
        ["写", "入", "cgroup.procs", "文", "件。"]
    );
    let p = pieces("写入 cgroup.procs 文件");
    assert_eq!(p[2].spaces, 1, "the space before a Latin word is kept");
    assert_eq!(p[1].spaces, 0);
    // Without spaces, Latin next to CJK still breaks at the change of script only.
    assert_eq!(
        texts(&pieces("用/sys/fs/cgroup目录")),
        ["用", "/sys/fs/cgroup", "目", "录"]
    );
    // A closing mark stays with what it closes, an opening one with what it opens.
    assert_eq!(texts(&pieces("（根）：好")), ["（根）：", "好"]);
    assert_eq!(texts(&pieces("a  b")), ["a", "b"]);
    assert_eq!(pieces("a  b")[1].spaces, 2);
    assert!(pieces("").is_empty());
}

#[test]
fn explain_in_chinese_translates_the_frame_and_keeps_english_as_the_library_wrote_it() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/cgroupv2/tests/fixtures/debian12");
    let fs = crate::cgroup::Cgroupfs::fixture(&fixture)
        .unwrap_or_else(|e| panic!("the fixture {} cannot be opened: {e}", fixture.display()));
    let mut denied = 0;
    let mut pictures = 0;
    for cgroup in ["user.slice", "system.slice", "init.scope"] {
        let path = crate::cgroup::CgroupPath::from_relative(std::path::Path::new(cgroup))
            .expect("a relative path");
        let e = crate::cgroup::explain::explain(&fs, &path);
        assert_eq!(with(Lang::En, || explanation_lines(&e)), e.lines());
        let zh = with(Lang::Zh, || explanation_lines(&e));
        assert!(zh[0].contains("身份"), "{}", zh[0]);
        // The picture of the move keeps the library's tree and translates each role.
        if let Some(picture) = &e.picture {
            assert!(zh.iter().any(|l| l.contains("图示")), "{zh:#?}");
            for line in picture.lines().iter().skip(1).take(picture.nodes.len()) {
                // The tree and the cgroup's name, before its owner and role.
                let tree = line.split("procs:").next().unwrap_or(line);
                assert!(zh.iter().any(|z| z.contains(tree)), "{line} is missing");
            }
            assert!(
                zh.iter()
                    .all(|l| !l.ends_with("source") && !l.ends_with("destination")),
                "{zh:#?}"
            );
            pictures += 1;
        }
        for line in &zh {
            assert!(!line.contains("explain-"), "a message is missing: {line}");
        }
        // Every line of the library's has its Chinese one (a refusal takes two: the translated
        // meaning, then the library's English explanation), so a line the library adds fails
        // here until it is translated.
        let refusals = e
            .abilities
            .iter()
            .filter(|a| a.prediction.errno.is_some())
            .count();
        assert_eq!(zh.len(), e.lines().len() + refusals, "{zh:#?}");
        for a in e.abilities.iter().filter(|a| a.prediction.errno.is_some()) {
            denied += 1;
            let meaning = with(Lang::Zh, || rule_meaning(a.prediction.rule).into_owned());
            assert!(
                zh.iter()
                    .any(|l| l.contains(&meaning) && l.contains(&a.action)),
                "{}: the refusal is not explained in Chinese",
                a.action
            );
        }
    }
    assert!(
        denied > 0,
        "the fixture refuses nothing: the test checks nothing"
    );
    assert!(
        pictures > 0,
        "no move was drawn: the test checks no picture"
    );
}
