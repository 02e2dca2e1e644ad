//! The README and the manual (docs/, an mdBook) lead somewhere: every relative link points to a
//! file that exists and every `#anchor` to a heading of that file; the book's links stay inside
//! the book (mdBook publishes only docs/src); every chapter is listed in SUMMARY.md.
//!
//! `mdbook build docs` (in .ci/run) checks that the book builds; mdBook itself does not check
//! links, hence this test.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The Markdown files of a directory and its subdirectories, sorted.
fn markdown_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .path();
        if path.is_dir() {
            files.extend(markdown_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "md") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The text with fenced code blocks blanked out (their lines kept, so line numbers stay), and
/// whether each remaining line is prose. Links and headings inside code are not links.
fn prose_lines(text: &str) -> Vec<&str> {
    let mut fence: Option<&str> = None;
    text.lines()
        .map(|line| {
            let trimmed = line.trim_start();
            match fence {
                Some(marker) => {
                    if trimmed.starts_with(marker) {
                        fence = None;
                    }
                    ""
                }
                None if trimmed.starts_with("```") || trimmed.starts_with("~~~") => {
                    fence = Some(&trimmed[..3]);
                    ""
                }
                None => line,
            }
        })
        .collect()
}

/// A line without its inline code spans (`...`), which may hold brackets that are no links.
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(open) = rest.find('`') {
        out.push_str(&rest[..open]);
        let ticks = rest[open..].chars().take_while(|&c| c == '`').count();
        let after = &rest[open + ticks..];
        match after.find(&"`".repeat(ticks)) {
            Some(close) => rest = &after[close + ticks..],
            None => {
                // An unclosed run of backticks is literal text.
                out.push_str(&rest[open..open + ticks]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// mdBook's anchor for a heading (GitHub's too): lowercase, whitespace to '-', punctuation
/// other than '-' and '_' dropped (so `code` and **bold** lose their marks).
fn anchor_of(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                Some(c.to_lowercase().collect::<String>())
            } else if c.is_whitespace() {
                Some("-".to_string())
            } else {
                None
            }
        })
        .collect()
}

/// The anchors of a Markdown text's headings, a repeated heading numbered as mdBook does
/// (`name`, `name-1`, …).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in prose_lines(text) {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = anchor_of(line[hashes..].trim().trim_end_matches('#'));
        let mut anchor = base.clone();
        let mut n = 0;
        while found.contains(&anchor) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        found.insert(anchor);
    }
    found
}

/// Every link target of a Markdown text with its line number: inline links and images
/// `[text](target "title")`, whose text may span lines, and reference definitions
/// `[name]: target`.
fn link_targets(text: &str) -> Vec<(usize, String)> {
    let lines: Vec<String> = prose_lines(text)
        .into_iter()
        .map(without_code_spans)
        .collect();
    let mut targets = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let end = after.find(')').unwrap_or(after.len());
            let target = after[..end].split_whitespace().next().unwrap_or("");
            let target = target.trim_start_matches('<').trim_end_matches('>');
            targets.push((index + 1, target.to_string()));
            rest = &after[end..];
        }
        // A definition cannot interrupt a paragraph: only after a blank line.
        let starts_block = index == 0 || lines[index - 1].trim().is_empty();
        let trimmed = line.trim_start();
        if let Some(close) = trimmed
            .strip_prefix('[')
            .and_then(|r| r.find("]:"))
            .filter(|_| starts_block)
        {
            let definition = &trimmed[close + 3..];
            if let Some(target) = definition.split_whitespace().next() {
                targets.push((index + 1, target.to_string()));
            }
        }
    }
    targets
}

fn is_external(target: &str) -> bool {
    target.contains("://") || target.starts_with("mailto:")
}

/// `a/b/../c` as `a/c`, without touching the filesystem (the target may not exist).
fn normalized(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// What is wrong with the links of `file`: a target that does not exist, an anchor that is no
/// heading of its target, or (with `book`) a target outside the book's source directory.
fn link_problems(file: &Path, book: Option<&Path>) -> Vec<String> {
    let text = read(file);
    let dir = file.parent().expect("a file has a directory");
    let mut problems = Vec::new();
    for (line, target) in link_targets(&text) {
        if is_external(&target) {
            continue;
        }
        let at = format!("{}:{line}: link to {target:?}", file.display());
        if target.is_empty() {
            problems.push(format!("{at}: empty"));
            continue;
        }
        let (path, anchor) = match target.split_once('#') {
            Some((path, anchor)) => (path, Some(anchor)),
            None => (target.as_str(), None),
        };
        let resolved = if path.is_empty() {
            file.to_path_buf()
        } else {
            normalized(&dir.join(path))
        };
        if !resolved.exists() {
            problems.push(format!("{at}: {} does not exist", resolved.display()));
            continue;
        }
        if let Some(book) = book
            && !resolved.starts_with(normalized(book))
        {
            problems.push(format!(
                "{at}: outside the book ({}), so broken in its HTML",
                book.display()
            ));
        }
        if let Some(anchor) = anchor {
            if resolved.extension().is_none_or(|ext| ext != "md") {
                problems.push(format!("{at}: an anchor into a file that is not Markdown"));
            } else if !anchors(&read(&resolved)).contains(anchor) {
                problems.push(format!(
                    "{at}: no heading of {} has the anchor #{anchor}",
                    resolved.display()
                ));
            }
        }
    }
    problems
}

/// Chapter files of a book's source directory that its SUMMARY.md does not link.
fn chapters_missing_from_summary(src: &Path) -> Vec<String> {
    let summary_path = src.join("SUMMARY.md");
    let listed: BTreeSet<PathBuf> = link_targets(&read(&summary_path))
        .into_iter()
        .filter(|(_, target)| !is_external(target))
        .map(|(_, target)| {
            let path = target.split('#').next().unwrap_or("").to_string();
            normalized(&src.join(path))
        })
        .collect();
    markdown_files(src)
        .into_iter()
        .filter(|file| *file != summary_path && !listed.contains(&normalized(file)))
        .map(|file| {
            format!(
                "{} is not listed in {}",
                file.display(),
                summary_path.display()
            )
        })
        .collect()
}

fn book_src() -> PathBuf {
    repo().join("docs/src")
}

#[test]
fn every_link_of_the_readme_and_the_manual_leads_somewhere() {
    let mut problems = link_problems(&repo().join("README.md"), None);
    let src = book_src();
    let chapters = markdown_files(&src);
    assert!(
        chapters.len() > 10,
        "the manual's chapters are in {}",
        src.display()
    );
    for chapter in &chapters {
        problems.extend(link_problems(chapter, Some(&src)));
    }
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_chapter_is_in_the_summary() {
    let missing = chapters_missing_from_summary(&book_src());
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn the_readme_links_into_the_manual() {
    let readme = read(&repo().join("README.md"));
    let targets: BTreeSet<String> = link_targets(&readme)
        .into_iter()
        .map(|(_, target)| target)
        .collect();
    for chapter in markdown_files(&book_src()) {
        let name = chapter.file_name().unwrap().to_string_lossy().into_owned();
        if name == "introduction.md" {
            continue;
        }
        let target = format!("docs/src/{name}");
        assert!(
            targets.contains(&target),
            "README.md does not link to {target}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// The checker itself finds what is broken.

/// A throwaway directory with the given files, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str, files: &[(&str, &str)]) -> Scratch {
        let dir = std::env::temp_dir().join(format!("cgtui-docs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
        }
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn anchors_follow_mdbooks_rule() {
    assert_eq!(
        anchor_of("Will the kernel allow it? `check` and `explain`"),
        "will-the-kernel-allow-it-check-and-explain"
    );
    assert_eq!(
        anchor_of("Prometheus export: a scrape's cost"),
        "prometheus-export-a-scrapes-cost"
    );
    assert_eq!(anchor_of("Why `--allow-remote`"), "why---allow-remote");
    assert_eq!(
        anchor_of("store_history and the_rest"),
        "store_history-and-the_rest"
    );
    let text = "# Title\n## Again\n## Again\n```\n# not a heading\n```\n";
    assert_eq!(
        anchors(text),
        ["again", "again-1", "title"].map(String::from).into()
    );
}

#[test]
fn broken_links_and_anchors_are_reported() {
    let scratch = Scratch::new(
        "links",
        &[
            (
                "README.md",
                "[fine](docs/src/a.md#a-heading) [gone](docs/src/missing.md)\n\
                 [bad anchor](docs/src/a.md#no-such-heading) [self](#readme)\n\
                 `[in code](nowhere.md)`\n```\n[in a block](nowhere.md)\n```\n\
                 [over two\nlines](docs/src/b.md) [web](https://example.org/x.md)\n\
                 # README\n",
            ),
            (
                "docs/src/a.md",
                "# A heading\n[out of the book](../../README.md) [back](a.md#a-heading)\n",
            ),
        ],
    );
    let readme = link_problems(&scratch.0.join("README.md"), None);
    assert_eq!(readme.len(), 3, "{readme:#?}");
    assert!(readme[0].contains("missing.md") && readme[0].contains("does not exist"));
    assert!(readme[1].contains("#no-such-heading"));
    assert!(readme[2].contains("b.md") && readme[2].contains("does not exist"));
    let src = scratch.0.join("docs/src");
    let chapter = link_problems(&src.join("a.md"), Some(&src));
    assert_eq!(chapter.len(), 1, "{chapter:#?}");
    assert!(chapter[0].contains("outside the book"));
}

#[test]
fn a_chapter_missing_from_the_summary_is_reported() {
    let scratch = Scratch::new(
        "summary",
        &[
            ("src/SUMMARY.md", "# Summary\n\n- [Listed](listed.md)\n"),
            ("src/listed.md", "# Listed\n"),
            ("src/forgotten.md", "# Forgotten\n"),
        ],
    );
    let missing = chapters_missing_from_summary(&scratch.0.join("src"));
    assert_eq!(missing.len(), 1, "{missing:#?}");
    assert!(missing[0].contains("forgotten.md"));
}
