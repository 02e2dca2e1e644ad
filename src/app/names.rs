//! Workload names for the tree and the details pane: from the path always, from Docker and
//! Podman only with `--resolve-names`. User names and engine answers are looked up when rows
//! come on screen (never while drawing); drawing only reads what is known.

use crate::cgroup::CgroupPath;
use crate::cgroup::escape::SysText;
use crate::cgroup::workload::engine::{Container, Source};
use crate::cgroup::workload::{self, Workload};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Default)]
pub struct Names {
    /// Show raw cgroup names instead (the `x` key).
    pub raw: bool,
    /// Ask the engines (`--resolve-names`).
    pub resolve: bool,
    users: HashMap<u32, Option<SysText>>,
    /// What the engines said, by whose engine and full id.
    containers: HashMap<(Source, String), Container>,
    /// Ids already asked about: an engine that did not know one is not asked again for it.
    asked: HashSet<(Source, String)>,
    /// Engine failures already shown.
    told: HashSet<String>,
}

impl Names {
    /// `known_users`: names known beforehand (a fixture's), used before this machine's passwd.
    pub fn new(resolve: bool, known_users: &[(u32, String)]) -> Names {
        Names {
            resolve,
            users: known_users
                .iter()
                .map(|(uid, name)| (*uid, Some(SysText::from(name.as_str()))))
                .collect(),
            ..Names::default()
        }
    }

    /// The workload of `path`, with the user's name if it was looked up.
    pub fn workload(&self, path: &CgroupPath) -> Workload {
        workload::workload_with_user(path, |uid| self.users.get(&uid).cloned().flatten())
    }

    /// What the engine said about `workload`'s container, if it was asked.
    pub fn container(&self, workload: &Workload) -> Option<&Container> {
        let source = Source::of(workload)?;
        self.containers.get(&(source, workload.full_id.clone()?))
    }

    /// The row label of `path`, `None` to show its own name.
    pub fn label(&self, path: &CgroupPath) -> Option<String> {
        if self.raw {
            return None;
        }
        let workload = self.workload(path);
        workload.short_label(path.name(), self.container(&workload).map(|c| &c.name))
    }

    /// Rows came on screen: look up their users, and return the containers to ask the
    /// engines about (none without `--resolve-names`, none asked before).
    pub fn on_screen(&mut self, paths: &[CgroupPath]) -> Vec<Workload> {
        let mut ask = Vec::new();
        for path in paths {
            let workload = Workload::of(path);
            if let Some(uid) = workload.uid {
                self.users
                    .entry(uid)
                    .or_insert_with(|| workload::user_name(uid));
            }
            if !self.resolve {
                continue;
            }
            if let (Some(source), Some(id)) = (Source::of(&workload), workload.full_id.clone())
                && self.asked.insert((source, id))
            {
                ask.push(workload);
            }
        }
        ask
    }

    /// The engines answered; returns the failures not shown before.
    pub fn answered(
        &mut self,
        found: Vec<(Source, String, Container)>,
        errors: Vec<String>,
    ) -> Vec<String> {
        for (source, id, container) in found {
            self.containers.insert((source, id), container);
        }
        errors
            .into_iter()
            .filter(|e| self.told.insert(e.clone()))
            .collect()
    }
}
