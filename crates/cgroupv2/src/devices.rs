//! Block devices by number: names for io.stat lines, and whole disk vs partition.

use crate::parse::DeviceId;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Looks devices up under a sysfs root (`/sys`, or a fixture's copy), caching names.
#[derive(Debug, Clone, Default)]
pub struct Devices {
    sys_root: Option<PathBuf>,
    names: HashMap<DeviceId, Option<String>>,
}

impl Devices {
    /// `None` looks nothing up: every device is shown by number.
    pub fn new(sys_root: Option<PathBuf>) -> Self {
        Devices {
            sys_root,
            names: HashMap::new(),
        }
    }

    fn dir(&self, id: DeviceId) -> Option<PathBuf> {
        Some(
            self.sys_root
                .as_deref()?
                .join(format!("dev/block/{}:{}", id.major, id.minor)),
        )
    }

    /// The kernel's name for a block device (`vda`, `nvme0n1p2`), from its uevent file.
    pub fn name(&mut self, id: DeviceId) -> Option<String> {
        if let Some(name) = self.names.get(&id) {
            return name.clone();
        }
        let name = self.dir(id).and_then(|dir| read_devname(&dir));
        self.names.insert(id, name.clone());
        name
    }

    /// Whether the device is a partition (the kernel refuses io.max for those with ENODEV).
    /// `None` when no such block device exists.
    pub fn is_partition(&self, id: DeviceId) -> Option<bool> {
        let dir = self.dir(id)?;
        if !dir.exists() {
            return None;
        }
        Some(dir.join("partition").exists())
    }
}

/// A whole disk: io.max and io.weight accept these, not partitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disk {
    pub name: String,
    pub id: DeviceId,
}

impl Devices {
    /// Every whole disk (`/sys/block` lists no partitions), by name. Empty when sysfs is absent.
    pub fn whole_disks(&self) -> Vec<Disk> {
        let Some(root) = self.sys_root.as_deref() else {
            return Vec::new();
        };
        let mut disks: Vec<Disk> = fs::read_dir(root.join("block"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let dev = fs::read_to_string(entry.path().join("dev")).ok()?;
                let id = crate::parse::device_id(dev.trim()).ok()?;
                Some(Disk {
                    name: crate::escape::visible_os(&entry.file_name()).into_owned(),
                    id,
                })
            })
            .collect();
        disks.sort_by(|a, b| a.name.cmp(&b.name));
        disks
    }
}

fn read_devname(dir: &Path) -> Option<String> {
    let uevent = fs::read_to_string(dir.join("uevent")).ok()?;
    uevent
        .lines()
        .find_map(|l| l.strip_prefix("DEVNAME="))
        .map(str::to_string)
}
