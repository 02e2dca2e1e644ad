//! Fitness tests for the code's structure, read from the sources (no build tooling needed):
//!
//! - the library's modules (crates/cgroupv2/src) import each other without a cycle;
//! - the app's modules (src/) respect the layers in [`LAYERS`]: a module imports its own layer
//!   and the layers below it, never one above.
//!
//! An import is any `crate::…` path (in a `use` or in an expression), a `super::…` path that
//! climbs to the crate root, and in src/main.rs a `cgtui::…` path; comments and string literals
//! are not code and are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The app's layers, lowest first. A module may import modules of its own layer and of the
/// layers below it. A new module under src/ gets a row here (the test fails until it has one).
const LAYERS: &[(&str, &[&str])] = &[
    // The cgroup v2 library (crates/cgroupv2, `crate::cgroup` in the app).
    ("library", &["cgroup"]),
    // Leaf helpers anyone may use: printing, formatting, the clock and times, files that must
    // be trusted, colours, named threads; the message catalogue (English, Chinese) and the lessons' texts,
    // pure data over the library.
    (
        "utilities",
        &[
            "output", "format", "time", "interval", "trusted", "theme", "i18n", "lessons", "thread",
        ],
    ),
    // The write path: the undo journal, the playground's cgroups, the editor that journals
    // each change. History records the journal's changes, so it sits above.
    ("edits", &["journal", "playground", "exercises", "editor"]),
    // Samples turned into rates, views and a tree.
    ("model", &["model"]),
    // The one collector that reads the hierarchy and produces samples.
    ("collect", &["collect"]),
    // What consumes the collected numbers besides the screen.
    (
        "history, export, snapshot, fleet",
        &["history", "export", "snapshot", "fleet"],
    ),
    // The application state: events in, effects out, no terminal.
    ("app", &["app"]),
    // The user's settings: columns of the model, the theme, the keys of the app's keymap.
    ("settings", &["config"]),
    // Drawing the state.
    ("ui", &["ui"]),
    // The terminal loop and the command line.
    ("tui, commands, main", &["tui", "commands", "cli", "main"]),
];

/// Imports that break the layering today and are being removed: (file, module imported). The
/// list only shrinks: an import not listed fails, and so does a listed one that is gone.
const KNOWN_VIOLATIONS: &[(&str, &str)] = &[];

#[test]
fn the_library_modules_form_no_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/cgroupv2/src");
    let sources = read_tree(&root);
    let graph = imports(&sources, None).unwrap_or_else(|errors| panic!("{}", errors.join("\n")));
    assert!(
        graph.iter().any(|i| i.from == "edit" && i.to == "predict"),
        "the scan found none of the imports known to exist: is it reading {}?",
        root.display()
    );
    if let Some(cycle) = find_cycle(&graph) {
        panic!("the library's modules form a cycle:\n{cycle}");
    }
}

#[test]
fn the_app_layers_are_imported_downwards_only() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let sources = read_tree(&root);
    let graph =
        imports(&sources, Some("cgtui")).unwrap_or_else(|errors| panic!("{}", errors.join("\n")));
    assert!(
        graph.iter().any(|i| i.from == "app" && i.to == "model"),
        "the scan found none of the imports known to exist: is it reading {}?",
        root.display()
    );
    let problems = layer_problems(&sources, &graph, KNOWN_VIOLATIONS);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Reading the sources

/// One source file: its path as shown (relative to the repository) and its text.
struct Source {
    shown: String,
    /// The module the file defines, from the crate root: `app/dialog.rs` is `["app", "dialog"]`.
    module: Vec<String>,
    text: String,
}

/// Every .rs file under `root`, in a stable order.
fn read_tree(root: &Path) -> Vec<Source> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect_rs(root, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            let relative = path.strip_prefix(root).expect("under the root");
            Source {
                shown: path
                    .strip_prefix(repo)
                    .unwrap_or(&path)
                    .display()
                    .to_string(),
                module: module_of(relative),
                text,
            }
        })
        .collect()
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read_dir {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `app/dialog.rs` → `[app, dialog]`, `app/mod.rs` → `[app]`, `lib.rs` → `[]`; `main.rs` is
/// the binary's root, ranked as `main`.
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// `text` with comments and the insides of string and char literals blanked (newlines and byte
/// offsets kept), so that only code is searched for paths.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let blank = |out: &mut Vec<u8>, c: u8| out.push(if c == b'\n' { b'\n' } else { b' ' });
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    blank(&mut out, b[i]);
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < b.len() {
                    if b[i..].starts_with(b"/*") {
                        depth += 1;
                        out.extend_from_slice(b"  ");
                        i += 2;
                    } else if b[i..].starts_with(b"*/") {
                        depth -= 1;
                        out.extend_from_slice(b"  ");
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        blank(&mut out, b[i]);
                        i += 1;
                    }
                }
            }
            b'r' if (i == 0
                || !ident(b[i - 1])
                || (b[i - 1] == b'b' && (i < 2 || !ident(b[i - 2]))))
                && {
                    let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                    b.get(i + 1 + hashes) == Some(&b'"')
                } =>
            {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                let mut close = vec![b'"'];
                close.extend(std::iter::repeat_n(b'#', hashes));
                out.push(b'r');
                out.extend(std::iter::repeat_n(b' ', hashes + 1));
                i += 2 + hashes;
                while i < b.len() && !b[i..].starts_with(&close) {
                    blank(&mut out, b[i]);
                    i += 1;
                }
                out.extend(std::iter::repeat_n(b' ', close.len().min(b.len() - i)));
                i += close.len();
            }
            b'"' => {
                out.push(b' ');
                i += 1;
                while i < b.len() {
                    match b[i] {
                        b'\\' => {
                            blank(&mut out, b[i]);
                            if let Some(&next) = b.get(i + 1) {
                                blank(&mut out, next);
                            }
                            i += 2;
                        }
                        b'"' => {
                            out.push(b' ');
                            i += 1;
                            break;
                        }
                        c => {
                            blank(&mut out, c);
                            i += 1;
                        }
                    }
                }
            }
            b'\'' => {
                // A char literal ('x', '\n', '\u{1F600}', 'µ'), or a lifetime ('a), left as is.
                let end = if b.get(i + 1) == Some(&b'\\') {
                    b[i + 2..]
                        .iter()
                        .position(|&c| c == b'\'')
                        .map(|p| i + 2 + p)
                } else {
                    text[i + 1..].chars().next().and_then(|c| {
                        let close = i + 1 + c.len_utf8();
                        (b.get(close) == Some(&b'\'')).then_some(close)
                    })
                };
                match end {
                    Some(end) => {
                        out.extend(std::iter::repeat_n(b' ', end + 1 - i));
                        i = end + 1;
                    }
                    None => {
                        out.push(b'\'');
                        i += 1;
                    }
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    // Only ASCII replaced ASCII or whole characters were blanked byte by byte.
    String::from_utf8(out).expect("blanking keeps UTF-8")
}

// ---------------------------------------------------------------------------------------------
// Imports between top-level modules

/// One use of another top-level module.
#[derive(Debug, Clone)]
struct Import {
    file: String,
    line: usize,
    /// The top-level module of the file, and the one it uses.
    from: String,
    to: String,
    /// The path as written, up to the module's name.
    written: String,
}

/// The imports between the top-level modules of a crate's `sources`; `binary_uses`: the name
/// by which its binary (main.rs) reaches the library's root. Errors name paths that do not
/// resolve to a module, so the scan cannot silently miss one.
fn imports(sources: &[Source], binary_uses: Option<&str>) -> Result<Vec<Import>, Vec<String>> {
    let modules: BTreeSet<String> = sources
        .iter()
        .filter_map(|s| s.module.first().cloned())
        .filter(|m| m != "main")
        .collect();
    let root_items = root_items(sources);
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for source in sources {
        let Some(from) = source.module.first() else {
            continue; // lib.rs: declares the modules, imports none
        };
        let code = code_only(&source.text);
        let inline_mod_at = inline_module_start(&code);
        let mut prefixes = vec!["crate::"];
        if from == "main" {
            prefixes.extend(binary_uses);
        }
        let mut paths = Vec::new(); // (offset, written prefix, module path the idents start from)
        for prefix in prefixes {
            let prefix = if prefix.ends_with("::") {
                prefix.to_string()
            } else {
                format!("{prefix}::")
            };
            for (at, _) in code.match_indices(&prefix) {
                if starts_a_path(&code, at) {
                    paths.push((at, at + prefix.len(), prefix.clone(), Vec::new()));
                }
            }
        }
        for (at, _) in code.match_indices("super::") {
            if !starts_a_path(&code, at) {
                continue;
            }
            let mut base = source.module.clone();
            if from == "main" {
                base.clear();
            }
            if inline_mod_at.is_some_and(|start| at > start) {
                base.push("<inline module>".into());
            }
            let mut end = at;
            while code[end..].starts_with("super::") {
                base.pop();
                end += "super::".len();
            }
            paths.push((at, end, code[at..end].to_string(), base));
        }
        for (at, after, written, base) in paths {
            if !base.is_empty() {
                continue; // a super:: path within its own top-level module
            }
            let line = code[..at].matches('\n').count() + 1;
            for name in first_segments(&code[after..]) {
                let to = if modules.contains(&name) {
                    name.clone()
                } else if let Some(module) = root_items
                    .get(&name)
                    .or_else(|| root_items.get(&format!("{name}!")))
                {
                    module.clone() // re-exported at the root, or an exported macro
                } else if name == "self" || name == "*" {
                    continue; // the root itself
                } else {
                    errors.push(format!(
                        "{}:{line}: {written}{name} names no module of the crate",
                        source.shown
                    ));
                    continue;
                };
                if &to != from {
                    found.push(Import {
                        file: source.shown.clone(),
                        line,
                        from: from.clone(),
                        to,
                        written: format!("{written}{name}"),
                    });
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(found)
    } else {
        Err(errors)
    }
}

/// Does a path begin at `at` (not inside a longer path such as `a::crate::` or `$crate::`)?
fn starts_a_path(code: &str, at: usize) -> bool {
    let before = code[..at].bytes().next_back();
    !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c == b':')
}

/// Where the first inline `mod name {` begins (in practice `mod tests` at the end of a file):
/// its `super::` is the file's module.
fn inline_module_start(code: &str) -> Option<usize> {
    let mut offset = 0;
    for line in code.split_inclusive('\n') {
        let trimmed = line.trim();
        let declared = trimmed
            .trim_start_matches("pub(crate) ")
            .trim_start_matches("pub ");
        if declared.starts_with("mod ") && trimmed.ends_with('{') {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// The names a path starts with: `a::b` → `[a]`, `{a::B, c, d::{E}}` → `[a, c, d]`; a macro
/// as `name!`.
fn first_segments(rest: &str) -> Vec<String> {
    let rest = rest.trim_start();
    if let Some(group) = rest.strip_prefix('{') {
        let mut depth = 0;
        let mut items = vec![String::new()];
        for c in group.chars() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(String::new());
                    continue;
                }
                _ => {}
            }
            items.last_mut().expect("one item at least").push(c);
        }
        return items
            .iter()
            .map(|item| leading_name(item.trim_start()))
            .filter(|name| !name.is_empty())
            .collect();
    }
    vec![leading_name(rest)]
}

fn leading_name(text: &str) -> String {
    if text.starts_with('*') {
        return "*".into();
    }
    let name: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if !name.is_empty() && text[name.len()..].trim_start().starts_with('!') {
        format!("{name}!")
    } else {
        name
    }
}

/// What the crate root re-exports: `pub use fs::Cgroupfs;` makes `crate::Cgroupfs` the module
/// `fs`; `pub use cgroupv2 as cgroup;` makes `cgroup` a module.
fn root_items(sources: &[Source]) -> BTreeMap<String, String> {
    let mut items = BTreeMap::new();
    // `#[macro_export] macro_rules! name` puts `name` at the root, whichever module defines it.
    for source in sources {
        let Some(module) = source.module.first() else {
            continue;
        };
        let code = code_only(&source.text);
        let lines: Vec<&str> = code.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            let Some(rest) = line.trim().strip_prefix("macro_rules!") else {
                continue;
            };
            let exported = lines[..n]
                .iter()
                .rev()
                .map(|l| l.trim())
                .take_while(|l| l.is_empty() || l.starts_with("#["))
                .any(|l| l.contains("macro_export"));
            if exported {
                items.insert(format!("{}!", leading_name(rest.trim())), module.clone());
            }
        }
    }
    let Some(root) = sources.iter().find(|s| s.module.is_empty()) else {
        return items;
    };
    for statement in code_only(&root.text).split(';') {
        let Some(path) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        if let Some((_, alias)) = path.split_once(" as ")
            && !path.contains("::")
        {
            items.insert(alias.trim().to_string(), alias.trim().to_string());
            continue;
        }
        let Some((module, names)) = path.split_once("::") else {
            continue;
        };
        let names = names.trim().trim_start_matches('{').trim_end_matches('}');
        for name in names.split(',') {
            let name = name.split(" as ").last().unwrap_or(name).trim();
            if !name.is_empty() {
                items.insert(name.to_string(), module.trim().to_string());
            }
        }
    }
    items
}

// ---------------------------------------------------------------------------------------------
// The checks

/// A cycle among the modules, shown as each step and the import that makes it.
fn find_cycle(graph: &[Import]) -> Option<String> {
    let mut edges: BTreeMap<&str, BTreeMap<&str, &Import>> = BTreeMap::new();
    for import in graph {
        edges
            .entry(import.from.as_str())
            .or_default()
            .entry(import.to.as_str())
            .or_insert(import);
    }
    // Depth-first, with the path from the start: an edge back into the path closes a cycle.
    fn visit<'a>(
        module: &'a str,
        edges: &BTreeMap<&'a str, BTreeMap<&'a str, &'a Import>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(at) = path.iter().position(|m| *m == module) {
            let mut cycle = path[at..].to_vec();
            cycle.push(module);
            return Some(cycle);
        }
        if !done.insert(module) {
            return None;
        }
        path.push(module);
        for next in edges.get(module).into_iter().flat_map(|e| e.keys()) {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    let starts: Vec<&str> = edges.keys().copied().collect();
    for start in starts {
        if let Some(cycle) = visit(start, &edges, &mut Vec::new(), &mut done) {
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|pair| {
                    let import = edges[pair[0]][pair[1]];
                    format!(
                        "  {} -> {}  ({}:{}: {})",
                        import.from, import.to, import.file, import.line, import.written
                    )
                })
                .collect();
            return Some(steps.join("\n"));
        }
    }
    None
}

/// Every module without a layer, every import of a higher layer not in `known`, and every
/// entry of `known` that no longer occurs.
fn layer_problems(sources: &[Source], graph: &[Import], known: &[(&str, &str)]) -> Vec<String> {
    let rank: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .flat_map(|(rank, (_, modules))| modules.iter().map(move |m| (*m, rank)))
        .collect();
    let mut problems = Vec::new();
    let unranked: BTreeSet<&str> = sources
        .iter()
        .filter_map(|s| s.module.first().map(String::as_str))
        .filter(|m| !rank.contains_key(m))
        .collect();
    for module in unranked {
        problems.push(format!(
            "module {module} has no layer: give it a row in LAYERS"
        ));
    }
    let mut seen = BTreeSet::new();
    for import in graph {
        let (Some(&from), Some(&to)) =
            (rank.get(import.from.as_str()), rank.get(import.to.as_str()))
        else {
            continue; // reported above
        };
        if to <= from {
            continue;
        }
        let key = (import.file.as_str(), import.to.as_str());
        seen.insert(key);
        if !known.contains(&key) {
            problems.push(format!(
                "{}:{}: {} (layer \"{}\") imports {} (layer \"{}\", higher): {}",
                import.file,
                import.line,
                import.from,
                LAYERS[from].0,
                import.to,
                LAYERS[to].0,
                import.written
            ));
        }
    }
    for entry in known {
        if !seen.contains(entry) {
            problems.push(format!(
                "KNOWN_VIOLATIONS lists {} importing {}, which no longer happens: remove the entry",
                entry.0, entry.1
            ));
        }
    }
    problems
}

// ---------------------------------------------------------------------------------------------
// The checks themselves can fail

fn fake(files: &[(&str, &str)]) -> Vec<Source> {
    files
        .iter()
        .map(|(path, text)| Source {
            shown: path.to_string(),
            module: module_of(Path::new(path.trim_start_matches("src/"))),
            text: text.to_string(),
        })
        .collect()
}

#[test]
fn a_cycle_is_found_and_shown() {
    let sources = fake(&[
        (
            "src/lib.rs",
            "pub mod a; pub mod b; pub mod c; pub use c::Thing;",
        ),
        ("src/a.rs", "use crate::b::X;\n"),
        (
            "src/b.rs",
            "// crate::a in a comment is not an import\nfn f() { crate::Thing::new(); }\n",
        ),
        (
            "src/c.rs",
            "fn g() -> &'static str { \"crate::b\" }\nuse crate::{\n  a::Y,\n};\n",
        ),
    ]);
    let graph = imports(&sources, None).expect("all paths resolve");
    let cycle = find_cycle(&graph).expect("a -> b -> c -> a");
    assert!(cycle.contains("a -> b  (src/a.rs:1: crate::b)"), "{cycle}");
    assert!(
        cycle.contains("b -> c  (src/b.rs:2: crate::Thing)"),
        "{cycle}"
    );
    assert!(cycle.contains("c -> a  (src/c.rs:2: crate::a)"), "{cycle}");
    let without_back_edge = &sources[..3];
    let graph = imports(without_back_edge, None).expect("all paths resolve");
    assert!(find_cycle(&graph).is_none());
}

#[test]
fn an_unresolved_path_is_an_error_not_a_miss() {
    let sources = fake(&[
        ("src/lib.rs", "pub mod a;"),
        ("src/a.rs", "use crate::nowhere::X;"),
    ]);
    let errors = imports(&sources, None).expect_err("crate::nowhere is no module");
    assert!(
        errors[0].contains("src/a.rs:1: crate::nowhere"),
        "{errors:?}"
    );
}

#[test]
fn super_climbs_to_the_root_from_a_mod_rs_but_not_from_a_test_module() {
    let sources = fake(&[
        ("src/lib.rs", "pub mod app; pub mod model;"),
        (
            "src/model/mod.rs",
            "use super::app::Event;\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n",
        ),
        (
            "src/model/view.rs",
            "use super::super::app;\nuse super::Thing;\n",
        ),
        (
            "src/app/mod.rs",
            "#[cfg(test)]\nmod tests {\n    use super::Event;\n}\n",
        ),
    ]);
    let graph = imports(&sources, None).expect("all paths resolve");
    let shown: Vec<String> = graph
        .iter()
        .map(|i| format!("{}:{} {}", i.file, i.line, i.written))
        .collect();
    assert_eq!(
        shown,
        [
            "src/model/mod.rs:1 super::app",
            "src/model/view.rs:1 super::super::app"
        ]
    );
}

#[test]
fn a_lower_layer_importing_a_higher_one_fails_and_the_known_list_stays_true() {
    let sources = fake(&[
        (
            "src/lib.rs",
            "pub mod app; pub mod collect; pub mod model; pub mod time;",
        ),
        ("src/model/mod.rs", "use crate::time::now_ms;\n"),
        (
            "src/model/view.rs",
            "fn f() {\n    crate::app::Event::Quit;\n}\n",
        ),
        ("src/collect.rs", "use crate::app::Event;\n"),
        ("src/app/mod.rs", "use crate::model;\n"),
        ("src/time.rs", ""),
    ]);
    let graph = imports(&sources, None).expect("all paths resolve");
    let known = [("src/collect.rs", "app")];
    let problems = layer_problems(&sources, &graph, &known);
    assert_eq!(
        problems,
        [
            "src/model/view.rs:2: model (layer \"model\") imports app (layer \"app\", higher): crate::app"
        ]
    );
    let stale = [("src/collect.rs", "app"), ("src/time.rs", "app")];
    let problems = layer_problems(&sources, &graph, &stale);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[1].contains("lists src/time.rs importing app, which no longer happens"));

    let unranked = fake(&[("src/lib.rs", "pub mod gadget;"), ("src/gadget.rs", "")]);
    let problems = layer_problems(&unranked, &[], &[]);
    assert_eq!(
        problems,
        ["module gadget has no layer: give it a row in LAYERS"]
    );
}
