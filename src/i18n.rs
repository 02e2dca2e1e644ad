//! The message catalogue: English and Simplified Chinese (assets/i18n/{en,zh}/*.ftl, Fluent
//! syntax, embedded in the binary).
//!
//! The language comes from `--lang` or the locale (LC_ALL, then LC_MESSAGES, then LANG, as
//! POSIX orders them). Every `zh*` locale gets Simplified Chinese, zh_TW and zh_HK included:
//! there is no Traditional catalogue. Anything else is English.
//!
//! Two kinds of message:
//! - the app's own texts (`check`, the frame of `explain` and `w`, the help's headings, the
//!   lessons panel): in both catalogues, looked up with [`text`] or [`t!`];
//! - English texts that live in code (the library's rule meanings and `explain` frame, the
//!   keymap table's descriptions, the columns' meanings): only their Chinese is in the
//!   catalogue, under an id made from what they describe (`rule-<id>`, `key-…`, `column-<id>`,
//!   `explain-…`), looked up with [`translate`], which returns the English as given when there
//!   is no translation.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use std::borrow::Cow;
use std::cell::Cell;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

/// A language cgtui speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Lang {
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The code used in file names, `--lang` and JSON (`en`, `zh`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The language of a locale name (`zh_CN.UTF-8`, `en_US`, `C`): `zh*` is Chinese (there
    /// is only Simplified), anything else English.
    pub fn of_locale(locale: &str) -> Lang {
        let language = locale
            .split(['_', '.', '@', '-'])
            .next()
            .unwrap_or_default();
        if language.eq_ignore_ascii_case("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    /// The language the environment asks for: the first of LC_ALL, LC_MESSAGES and LANG that
    /// is set and not empty.
    pub fn from_env() -> Lang {
        Lang::from_vars(|name| std::env::var(name).ok())
    }

    fn from_vars(var: impl Fn(&str) -> Option<String>) -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .into_iter()
            .filter_map(var)
            .find(|value| !value.is_empty())
            .map_or(Lang::En, |locale| Lang::of_locale(&locale))
    }
}

/// The process's language (set once by `main`), and a per-thread override for tests.
static CURRENT: AtomicU8 = AtomicU8::new(0);
thread_local! {
    static OVERRIDE: Cell<Option<Lang>> = const { Cell::new(None) };
}

/// Speak `lang` from now on, in every thread.
pub fn set(lang: Lang) {
    CURRENT.store(lang as u8, Ordering::Relaxed);
}

/// The language texts are made in now.
pub fn current() -> Lang {
    OVERRIDE.with(Cell::get).unwrap_or_else(|| {
        if CURRENT.load(Ordering::Relaxed) == Lang::Zh as u8 {
            Lang::Zh
        } else {
            Lang::En
        }
    })
}

/// Run `f` with this thread speaking `lang` (tests render both languages side by side).
pub fn with<T>(lang: Lang, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Lang>);
    impl Drop for Restore {
        fn drop(&mut self) {
            OVERRIDE.with(|cell| cell.set(self.0));
        }
    }
    let _restore = Restore(OVERRIDE.with(|cell| cell.replace(Some(lang))));
    f()
}

/// The catalogue files, per language: (file name, text).
const EN: &[(&str, &str)] = &[
    ("check.ftl", include_str!("../assets/i18n/en/check.ftl")),
    ("tui.ftl", include_str!("../assets/i18n/en/tui.ftl")),
];
const ZH: &[(&str, &str)] = &[
    ("check.ftl", include_str!("../assets/i18n/zh/check.ftl")),
    ("tui.ftl", include_str!("../assets/i18n/zh/tui.ftl")),
    ("explain.ftl", include_str!("../assets/i18n/zh/explain.ftl")),
    ("rules.ftl", include_str!("../assets/i18n/zh/rules.ftl")),
    ("keys.ftl", include_str!("../assets/i18n/zh/keys.ftl")),
];

/// Ids of translations of English kept in code: only the Chinese catalogue has them.
pub const TRANSLATION_PREFIXES: [&str; 5] = ["rule-", "key-", "context-", "column-", "explain-"];

fn files(lang: Lang) -> &'static [(&'static str, &'static str)] {
    match lang {
        Lang::En => EN,
        Lang::Zh => ZH,
    }
}

fn bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let id: unic_langid::LanguageIdentifier = lang
        .code()
        .parse()
        .expect("en and zh are language identifiers");
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Unicode isolation marks around each value would reach the terminal as odd characters.
    bundle.set_use_isolating(false);
    for (name, text) in files(lang) {
        // The files are cgtui's own, checked by the tests: a broken one is a build defect.
        let resource =
            FluentResource::try_new((*text).to_string()).unwrap_or_else(|(_, errors)| {
                panic!(
                    "assets/i18n/{}/{name} does not parse: {errors:?}",
                    lang.code()
                )
            });
        bundle
            .add_resource(resource)
            .unwrap_or_else(|errors| panic!("assets/i18n/{}/{name}: {errors:?}", lang.code()));
    }
    bundle
}

/// `lang`'s catalogue, parsed when first asked for (an English session never parses the
/// Chinese one).
fn catalogue(lang: Lang) -> &'static FluentBundle<FluentResource> {
    static EN_BUNDLE: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
    static ZH_BUNDLE: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
    let cell = match lang {
        Lang::En => &EN_BUNDLE,
        Lang::Zh => &ZH_BUNDLE,
    };
    cell.get_or_init(|| bundle(lang))
}

/// Message `id` in `lang` with its variables, or `None` if that catalogue has no such message.
fn format(lang: Lang, id: &str, args: &[(&str, String)]) -> Option<String> {
    let bundle = catalogue(lang);
    let pattern = bundle.get_message(id)?.value()?;
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        fluent_args.set(*name, value.clone());
    }
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
    Some(text.into_owned())
}

/// Message `id` of the app's own texts in the current language; the English one where the
/// Chinese is missing, and the id itself where both are (the tests keep both complete).
pub fn text(id: &str, args: &[(&str, String)]) -> String {
    format(current(), id, args)
        .or_else(|| format(Lang::En, id, args))
        .unwrap_or_else(|| id.to_string())
}

/// `english`, a text kept in code, in the current language: its translation `id` where the
/// language is not English and the catalogue has it, else `english` itself.
pub fn translate<'a>(id: &str, english: &'a str) -> Cow<'a, str> {
    match current() {
        Lang::En => Cow::Borrowed(english),
        lang => format(lang, id, &[]).map_or(Cow::Borrowed(english), Cow::Owned),
    }
}

/// Is there a translation `id` in `lang`'s catalogue? (Tests of the texts kept in code.)
pub fn has(lang: Lang, id: &str) -> bool {
    catalogue(lang).has_message(id)
}

/// Every message id of `lang`'s catalogue, in file order (a message starts a line with its id).
pub fn message_ids(lang: Lang) -> Vec<String> {
    files(lang)
        .iter()
        .flat_map(|(_, text)| text.lines())
        .filter(|line| line.starts_with(|c: char| c.is_ascii_alphabetic()))
        .filter_map(|line| line.split_once('=').map(|(id, _)| id.trim().to_string()))
        .collect()
}

/// A message of the catalogue: `t!("check-allowed", op = op, target = target)`.
#[macro_export]
macro_rules! t {
    ($id:expr) => {
        $crate::i18n::text($id, &[])
    };
    ($id:expr, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::text($id, &[$((stringify!($name), ($value).to_string())),+])
    };
}

/// What a rule means, in the current language (the library's English, or its translation).
pub fn rule_meaning(rule: crate::cgroup::rules::Rule) -> Cow<'static, str> {
    translate(&format!("rule-{}", rule.id()), rule.meaning())
}

/// The translated meaning of `rule` where the language is not English: shown before the
/// library's English explanation of a refusal, which stays in English.
pub fn translated_meaning(rule: crate::cgroup::rules::Rule) -> Option<String> {
    (current() != Lang::En).then(|| rule_meaning(rule).into_owned())
}

/// The lines of `explain` and of the `w` pane: the library's own in English; in Chinese its
/// frame translated, each refusal preceded by its rule's meaning, and the details the library
/// computed (actions, managers, explanations) as it wrote them, in English.
pub fn explanation_lines(e: &crate::cgroup::explain::Explanation) -> Vec<String> {
    if current() == Lang::En {
        return e.lines();
    }
    let mut out = vec![t!(
        "explain-header",
        cgroup = e.cgroup,
        user = e.actor.user,
        uid = e.actor.uid
    )];
    out.push(t!("explain-owners"));
    for o in &e.owners {
        out.push(format!(
            "  {:<24} {}",
            o.file,
            t!("explain-owner", owner = o.owner, uid = o.uid, mode = o.mode)
        ));
    }
    out.push(t!("explain-managed-by", manager = e.managed_by));
    out.push(match &e.delegation {
        Some(d) => t!(
            "explain-delegation",
            cgroup = d.cgroup,
            delegatee = match (&d.delegatee, d.delegatee_uid) {
                (Some(name), Some(uid)) => t!("explain-delegatee", name = name, uid = uid),
                _ => String::new(),
            },
            by = d.by,
            controllers = d.controllers.join(" ")
        ),
        None => t!("explain-no-delegation"),
    });
    out.push(if e.mount_options.is_empty() {
        t!("explain-mount-options-none")
    } else {
        t!("explain-mount-options", options = e.mount_options.join(","))
    });
    out.push(t!(
        "explain-namespace",
        nsdelegate = t!(if e.nsdelegate {
            "explain-on"
        } else {
            "explain-off"
        }),
        namespace = match (&e.actor.init_namespace, &e.actor.namespace_root) {
            (true, _) => t!("explain-namespace-initial"),
            (false, Some(root)) => t!("explain-namespace-rooted", root = root),
            (false, None) => t!("explain-namespace-unknown"),
        }
    ));
    if let Some(picture) = &e.picture {
        out.extend(picture_lines(picture));
    }
    out.push(t!("explain-controllers"));
    for c in &e.controllers {
        let reach = match (&c.stops_at, c.available_here) {
            (_, true) => t!("explain-controller-here"),
            (Some(at), false) => t!("explain-controller-stops", at = at),
            (None, false) => t!("explain-controller-absent"),
        };
        out.push(format!("  {:<8} {reach}", c.controller));
    }
    out.push(t!(
        "explain-internal-process",
        note = e.internal_process.note
    ));
    out.push(t!("explain-abilities"));
    let (yes, no) = (t!("explain-yes"), t!("explain-no"));
    let column = crate::format::width(&yes).max(crate::format::width(&no)) + 1;
    let pad = |word: &str| format!("{word}{}", " ".repeat(column - crate::format::width(word)));
    for a in &e.abilities {
        let p = &a.prediction;
        match p.errno.as_deref() {
            None => out.push(format!("  {}{}", pad(&yes), a.action)),
            Some(errno) => {
                out.push(format!(
                    "  {}{} — {errno} [{}]：{}",
                    pad(&no),
                    a.action,
                    p.rule,
                    rule_meaning(p.rule)
                ));
                out.push(format!("  {}{}", " ".repeat(column), p.explanation));
            }
        }
    }
    out
}

/// Is `ch` a character of a script written without spaces (CJK ideographs, kana, hangul, and
/// their full-width punctuation)? A line may break before or after one.
pub fn breaks_around(ch: char) -> bool {
    matches!(ch as u32,
        0x2E80..=0x2FDF      // radicals
        | 0x3000..=0x303F    // CJK symbols and punctuation
        | 0x3040..=0x30FF    // kana
        | 0x3100..=0x312F    // bopomofo
        | 0x3130..=0x318F    // hangul compatibility jamo
        | 0x3400..=0x4DBF    // extension A
        | 0x4E00..=0x9FFF    // unified ideographs
        | 0xAC00..=0xD7AF    // hangul syllables
        | 0xF900..=0xFAFF    // compatibility ideographs
        | 0xFF00..=0xFFEF    // full-width forms
        | 0x20000..=0x3FFFF) // supplementary ideographs
}

/// Punctuation that must not start a line (，。：；、！？ and closing brackets): it stays with
/// the character before it.
pub fn closes(ch: char) -> bool {
    "，。：；、！？）」』】》〉’”%,.;:!?)]".contains(ch)
}

/// Punctuation that must not end a line (opening brackets): it stays with the character after.
pub fn opens(ch: char) -> bool {
    "（「『【《〈‘“".contains(ch)
}

/// The picture of the move in the `w` pane, in the current language: the library draws the
/// tree; the heading, each cgroup's role at the end of its line and the closing verdict are
/// translated.
fn picture_lines(picture: &crate::cgroup::explain::MovePicture) -> Vec<String> {
    use crate::cgroup::explain::Role;
    let english = picture.lines();
    let mut out = vec![t!("explain-picture", ancestor = picture.common_ancestor)];
    for (node, line) in picture.nodes.iter().zip(english.iter().skip(1)) {
        // As the library names the role (explain.rs MovePicture::lines), and its translation.
        let (role, id) = match node.role {
            Role::CommonAncestor => ("common ancestor", "explain-role-ancestor"),
            Role::Source => ("source", "explain-role-source"),
            Role::Destination if node.depth == 0 => (
                "destination and common ancestor",
                "explain-role-destination-ancestor",
            ),
            Role::Destination => ("destination", "explain-role-destination"),
            Role::OnTheWay => ("", ""),
        };
        let mark = match (&picture.failing, node.failing) {
            (Some(why), true) => format!("  ✗ {why}"),
            _ => String::new(),
        };
        let ending = format!("{role}{mark}");
        match line.strip_suffix(ending.trim_end()) {
            Some(start) if !role.is_empty() => out.push(format!("{start}{}{mark}", t!(id))),
            _ => out.push(line.clone()),
        }
    }
    if picture.failing.is_none() {
        out.push(format!("  {}", t!("explain-picture-passes")));
    }
    out
}

/// Do two source lines, the first ending in `last` and the next starting with `next`, join
/// without a space? Between two CJK characters, and next to full-width punctuation.
pub fn joins_without_space(last: Option<char>, next: Option<char>) -> bool {
    let full_width_mark = |c: char| matches!(c as u32, 0x3000..=0x303F | 0xFF00..=0xFFEF);
    match (last, next) {
        (Some(l), Some(n)) => {
            (breaks_around(l) && breaks_around(n)) || full_width_mark(l) || full_width_mark(n)
        }
        _ => false,
    }
}

/// May a line break between `prev` and `next`, with no space between them? Only next to a CJK
/// character, and never before a closing mark or after an opening one.
pub fn may_break_between(prev: char, next: char) -> bool {
    !closes(next) && !opens(prev) && (breaks_around(prev) || breaks_around(next))
}

/// `text` cut where a line may break: at spaces (dropped, counted in the next piece's
/// `spaces`) and around CJK characters (no space). A Latin word, a path or a command is never
/// cut; a closing mark stays with what it closes, an opening one with what it opens.
pub fn pieces(text: &str) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    let mut spaces = 0;
    for ch in text.chars() {
        if ch == ' ' {
            spaces += 1;
            continue;
        }
        let last = out.last_mut().filter(|_| spaces == 0);
        match last {
            Some(last)
                if !last
                    .text
                    .chars()
                    .last()
                    .is_some_and(|p| may_break_between(p, ch)) =>
            {
                last.text.push(ch)
            }
            _ => out.push(Piece {
                spaces,
                text: ch.to_string(),
            }),
        }
        spaces = 0;
    }
    out
}

/// A piece of text no line break may cut, and the spaces before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub spaces: usize,
    pub text: String,
}

#[cfg(test)]
mod tests;
