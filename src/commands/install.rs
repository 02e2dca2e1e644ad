//! `cgtui completions` and `cgtui manpage`: generated from the same definitions as `--help`,
//! before any hierarchy is looked for (they work on a machine without cgroup2, as when
//! packaging).

use crate::cgroup::escape::visible_path;
use crate::cgroup::{CgroupPath, Cgroupfs};
use crate::cli::{CompleteArgs, CompletionsArgs, ManpageArgs, man_page};
use anyhow::{Context, Result};
use clap_complete::Shell;
use std::io::Write;
use std::path::Path;

/// Bash: cgroups and interface files from the live tree (`cgtui __complete`), else what clap
/// generated.
const BASH_LIVE: &str = r#"
# --root, CGROUP and FILE arguments complete from the live cgroup2 tree.
_cgtui_live() {
    local found
    if found=$("${COMP_WORDS[0]}" __complete -- "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null); then
        local IFS=$'\n'
        COMPREPLY=($found)
        compopt -o nospace 2>/dev/null
        return 0
    fi
    _cgtui "$@"
}
if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _cgtui_live -o nosort -o bashdefault -o default cgtui
else
    complete -F _cgtui_live -o bashdefault -o default cgtui
fi
"#;

/// Zsh: the same, in front of clap's `_cgtui` (renamed `_cgtui_static`).
const ZSH_LIVE: &str = r#"
# --root, CGROUP and FILE arguments complete from the live cgroup2 tree.
_cgtui() {
    local found
    if found="$(${words[1]} __complete -- "${(@)words[2,CURRENT]}" 2>/dev/null)"; then
        compadd -S '' -- ${(f)found}
        return
    fi
    _cgtui_static "$@"
}
"#;

/// Fish: the live candidates next to clap's.
const FISH_LIVE: &str = r#"
# --root, CGROUP and FILE arguments complete from the live cgroup2 tree.
complete -c cgtui -f -a '(cgtui __complete -- (commandline -opc)[2..-1] (commandline -ct) 2>/dev/null)'
"#;

pub fn completions(args: &CompletionsArgs) -> Result<i32> {
    // Written whole once it is made: a reader that goes away (`| head -1`) ends the write
    // with EPIPE, which is quiet, instead of a panic inside the generator.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut crate::cli::command(), "cgtui", &mut script);
    let script = String::from_utf8(script).context("the completion script is not UTF-8")?;
    let script = match args.shell {
        Shell::Bash => format!("{script}{BASH_LIVE}"),
        Shell::Zsh => {
            // clap's function becomes the fallback; the file still ends by calling or
            // registering `_cgtui`, now the live one defined before that.
            let (body, tail) = script
                .rsplit_once("if [ \"$funcstack[1]\" = \"_cgtui\" ]; then")
                .context("clap's zsh script has no closing registration")?;
            let body = body.replacen("_cgtui() {", "_cgtui_static() {", 1);
            format!("{body}{ZSH_LIVE}\nif [ \"$funcstack[1]\" = \"_cgtui\" ]; then{tail}")
        }
        Shell::Fish => format!("{script}{FISH_LIVE}"),
        _ => script,
    };
    std::io::stdout()
        .write_all(script.as_bytes())
        .context("cannot write the completion script")?;
    Ok(0)
}

/// What the last of `words` is, when it is completed from the live tree.
#[derive(Debug, PartialEq, Eq)]
enum LiveWord {
    Cgroup,
    /// An interface file of this cgroup (as typed).
    File(String),
}

/// Where the words put the cursor: `--root`'s value, a CGROUP or a FILE argument (`set`,
/// `mkdir`, `rmdir`, `move`, `explain`, and the same after `check`), or none of them. Also the
/// `--fixture` given, whose tree is the one to list.
fn live_word(words: &[String]) -> (Option<LiveWord>, Option<String>) {
    let Some((current, before)) = words.split_last() else {
        return (None, None);
    };
    let command = crate::cli::command();
    let mut value_flags = std::collections::HashSet::new();
    let mut commands = vec![&command];
    while let Some(c) = commands.pop() {
        for arg in c.get_arguments() {
            if arg.get_action().takes_values()
                && let Some(long) = arg.get_long()
            {
                value_flags.insert(format!("--{long}"));
            }
        }
        commands.extend(c.get_subcommands());
    }
    let (mut fixture, mut subcommand, mut positional) = (None, Vec::new(), Vec::new());
    let mut expecting: Option<&str> = None;
    let mut options_end = false;
    for word in before {
        if let Some(flag) = expecting.take() {
            if flag == "--fixture" {
                fixture = Some(word.clone());
            }
            continue;
        }
        if !options_end && word == "--" {
            options_end = true;
        } else if !options_end && word.starts_with('-') {
            if let Some(value) = word.strip_prefix("--fixture=") {
                fixture = Some(value.to_string());
            } else if value_flags.contains(word.as_str()) {
                expecting = Some(word);
            }
        } else if subcommand.is_empty() || (subcommand == ["check"] && positional.is_empty()) {
            subcommand.push(word.as_str());
        } else {
            positional.push(word.as_str());
        }
    }
    if expecting == Some("--root") {
        return (Some(LiveWord::Cgroup), fixture);
    }
    if expecting.is_some() || (!options_end && current.starts_with('-')) {
        return (None, fixture);
    }
    let verb = subcommand.last().copied().unwrap_or("");
    let live = match (verb, positional.as_slice()) {
        ("set" | "mkdir" | "rmdir" | "explain", []) | ("move", [_]) => Some(LiveWord::Cgroup),
        ("set", [cgroup]) => Some(LiveWord::File(cgroup.to_string())),
        _ => None,
    };
    (live, fixture)
}

/// A name a shell can take as it is: printable, no spaces or quotes.
fn plain(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| !c.is_control() && !c.is_whitespace() && !"'\"\\$`".contains(c))
}

/// `cgtui __complete -- WORDS`: one candidate a line; exit code 1 when the last word is not
/// completed from the live tree (the script then completes it as clap generated).
pub fn complete(args: &CompleteArgs) -> Result<i32> {
    let (Some(live), fixture) = live_word(&args.words) else {
        return Ok(1);
    };
    let current = args.words.last().map_or("", String::as_str);
    let fs = match &fixture {
        Some(dir) => Cgroupfs::fixture(Path::new(dir)),
        None => Cgroupfs::system(),
    };
    let Ok(fs) = fs else {
        // No tree to ask: nothing, rather than the current directory's files.
        return Ok(0);
    };
    let mut found: Vec<String> = match &live {
        LiveWord::Cgroup => {
            let (dir, stem) = current
                .rsplit_once('/')
                .map_or(("", current), |(d, s)| (d, s));
            let parent = if dir.is_empty() && !current.starts_with('/') {
                Ok(CgroupPath::root())
            } else {
                fs.resolve(Path::new(if dir.is_empty() { "/" } else { dir }))
            };
            // An absolute path outside the tree is a file path: the script completes it.
            let Ok(parent) = parent else {
                return Ok(if current.starts_with('/') { 1 } else { 0 });
            };
            let prefix = if current.contains('/') {
                format!("{dir}/")
            } else {
                String::new()
            };
            fs.children(&parent)
                .ok()
                .flatten()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|name| name.into_string().ok())
                .filter(|name| name.starts_with(stem) && plain(name))
                .map(|name| format!("{prefix}{name}/"))
                .collect()
        }
        LiveWord::File(cgroup) => {
            let Ok(cgroup) = fs.resolve(Path::new(cgroup.trim_end_matches('/'))) else {
                return Ok(0);
            };
            fs.files(&cgroup, 4096)
                .ok()
                .flatten()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|name| name.into_string().ok())
                .filter(|name| name.starts_with(current) && plain(name))
                .collect()
        }
    };
    if found.is_empty() && current.starts_with('/') && live == LiveWord::Cgroup {
        // Perhaps a path on disk (`--root /sys/fs/cgroup/...`): the script completes files.
        return Ok(1);
    }
    found.sort();
    let mut out = std::io::stdout().lock();
    for name in found {
        writeln!(out, "{name}").context("cannot write the candidates")?;
    }
    Ok(0)
}

pub fn manpage(args: &ManpageArgs) -> Result<i32> {
    let Some(dir) = &args.dir else {
        let mut page = Vec::new();
        man_page(&mut page)?;
        std::io::stdout().write_all(&page)?;
        return Ok(0);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", visible_path(dir)))?;
    clap_mangen::generate_to(crate::cli::command(), dir)
        .with_context(|| format!("cannot write the man pages into {}", visible_path(dir)))?;
    // The main page with its FILES, ENVIRONMENT and EXAMPLES.
    let main = dir.join("cgtui.1");
    let mut page = Vec::new();
    man_page(&mut page)?;
    std::fs::write(&main, page).with_context(|| format!("cannot write {}", visible_path(&main)))?;
    Ok(0)
}
