//! The lessons in English and Chinese: every translation has its English lesson's structure
//! (steps and their checks, sources, needs, exercises), and every lesson in both languages
//! wraps within its width without breaking a Latin word, path or command.

use cgtui::i18n::Lang;
use cgtui::lessons::{Lesson, Look, Run, TRANSLATIONS, all_in, paragraph, wrap};

#[test]
fn every_chinese_lesson_has_the_structure_of_its_english_one() {
    let english = all_in(Lang::En);
    let chinese = all_in(Lang::Zh);
    assert_eq!(english.len(), chinese.len());
    let translated: Vec<&str> = TRANSLATIONS
        .iter()
        .filter(|(lang, _, _)| *lang == "zh")
        .map(|(_, stem, _)| *stem)
        .collect();
    assert!(
        !translated.is_empty(),
        "no Chinese lesson: the comparison below compares nothing"
    );
    for (en, zh) in english.iter().zip(&chinese) {
        assert_eq!(en.id, zh.id);
        let is_translated = translated.contains(&en.id.as_str());
        assert_eq!(en.title != zh.title, is_translated, "{}: title", en.id);
        let checks = |l: &Lesson| l.steps.iter().map(|s| s.check.clone()).collect::<Vec<_>>();
        assert_eq!(checks(en), checks(zh), "{}: steps and checks", en.id);
        assert_eq!(en.sources, zh.sources, "{}: sources", en.id);
        assert_eq!(en.needs, zh.needs, "{}: needs", en.id);
        assert_eq!(en.exercises.len(), zh.exercises.len(), "{}", en.id);
        for (e, z) in en.exercises.iter().zip(&zh.exercises) {
            // The question and the rule's words are translated; the scene, the write and the
            // answer the rule starts with (`ok`, `EACCES`) are the same.
            let answer = |rule: &str| {
                rule.chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect::<String>()
            };
            assert_eq!(
                (&e.id, &e.setup, &e.attempt, answer(&e.rule)),
                (&z.id, &z.setup, &z.attempt, answer(&z.rule)),
                "{}: exercise",
                en.id
            );
        }
        // Indented blocks (commands, files) are the same commands in both.
        let blocks = |l: &Lesson| {
            l.intro
                .iter()
                .chain(l.steps.iter().flat_map(|s| &s.notes))
                .filter(|p| p.starts_with("    "))
                .cloned()
                .collect::<Vec<_>>()
        };
        if is_translated {
            assert_eq!(blocks(en), blocks(zh), "{}: commands", en.id);
            let text: String = zh.intro.concat();
            assert!(
                text.chars().any(cgtui::i18n::breaks_around),
                "{}: the Chinese lesson's intro has no Chinese",
                en.id
            );
        }
    }
}

/// Every run of ASCII letters, digits and marks (a word, a path, a command) in `text`, in
/// order.
fn latin_words(text: &str) -> Vec<String> {
    // `…` ends a word cut because it is longer than a whole line.
    text.split(|c: char| !(c.is_ascii_graphic() || c == '…'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn line_text(line: &[Run]) -> String {
    line.iter().map(|r| r.text.as_str()).collect()
}

/// One paragraph wrapped to `width` as the panel does: no line wider, and its Latin words
/// whole on one line each (a word longer than a whole line may be cut, ending in `…`).
fn check_paragraph(lesson: &str, text: &str, width: usize) -> usize {
    let (runs, indent) = paragraph(text, Look::Plain);
    let lines = wrap(&runs, width, indent);
    let source: String = runs.iter().map(|r| r.text.as_str()).collect();
    let mut shown = Vec::new();
    for line in &lines {
        let text = line_text(line);
        assert!(
            cgtui::format::width(&text) <= width,
            "{lesson} at {width} columns: a line wider than the panel: {text:?}"
        );
        shown.extend(latin_words(&text));
    }
    let room = width.saturating_sub(indent);
    let expected: Vec<String> = latin_words(&source);
    assert_eq!(
        shown.len(),
        expected.len(),
        "{lesson} at {width} columns: {shown:?} shown for {expected:?}"
    );
    for (word, got) in expected.iter().zip(&shown) {
        let cut = got.ends_with('…');
        // A closing mark (，。) stays with the word before it, so a word as long as the line
        // less that mark is cut too.
        if got != word && !(cgtui::format::width(word) + 2 >= room && cut) {
            panic!("{lesson} at {width} columns: {word:?} is broken ({got:?}) in {source:?}");
        }
    }
    lines.len()
}

#[test]
fn every_lesson_in_both_languages_wraps_without_breaking_words_or_overflowing() {
    for lang in Lang::ALL {
        for lesson in all_in(lang) {
            let name = format!("{} ({})", lesson.id, lang.code());
            // 80x24 leaves the side panel about 39 columns; 40 columns leave it narrower.
            for width in [20, 30, 38, 40, 60, 79] {
                let mut lines = check_paragraph(&name, &lesson.title, width);
                for text in lesson.intro.iter().filter(|l| !l.trim().is_empty()) {
                    lines += check_paragraph(&name, text, width);
                }
                for step in &lesson.steps {
                    lines += check_paragraph(&name, &format!("▶ {}", step.text), width);
                    for note in step.notes.iter().filter(|l| !l.trim().is_empty()) {
                        lines += check_paragraph(&name, note, width);
                    }
                }
                for exercise in &lesson.exercises {
                    lines += check_paragraph(&name, &exercise.question, width);
                    lines += check_paragraph(&name, &exercise.rule, width);
                }
                assert!(lines > lesson.steps.len(), "{name}: nothing rendered");
            }
        }
    }
}

#[test]
fn chinese_wraps_between_characters_and_latin_words_stay_whole() {
    let runs = vec![
        Run::new(Look::Plain, "把进程写入"),
        Run::new(Look::Code, "cgroup.procs"),
        Run::new(Look::Plain, "，内核检查共同祖先的写权限。"),
    ];
    let lines: Vec<String> = wrap(&runs, 16, 0).iter().map(|l| line_text(l)).collect();
    assert!(lines.len() > 2, "{lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("cgroup.procs")),
        "{lines:?}"
    );
    assert_eq!(
        lines.concat(),
        "把进程写入cgroup.procs，内核检查共同祖先的写权限。"
    );
    for line in &lines {
        assert!(cgtui::format::width(line) <= 16, "{line:?}");
        // No line starts with a closing mark.
        assert!(!line.starts_with(['，', '。']), "{lines:?}");
    }
    // The code's look is kept on its word.
    let wrapped = wrap(&runs, 16, 0);
    assert!(
        wrapped
            .iter()
            .flatten()
            .any(|r| r.look == Look::Code && r.text == "cgroup.procs")
    );
}
