//! The fleet's targets: positional `HOST[:PORT]` and CIDR ranges, target lists (`-iL FILE|-`, one
//! `host[:port][,tls-name][,tag]` per line, `#` comments), `.rdp` files or a folder of them, exclusions,
//! duplicates merged. A malformed line is kept as a [`Malformed`] entry with its line number (the caller
//! decides whether that is fatal); a range larger than a /16 is refused unless allowed.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt::Write as _;
use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::cidr::{Cidr, parse_cidr};

/// The largest range accepted without `--allow-large`: a /16.
pub const LARGE_RANGE: u64 = 1 << 16;
/// The largest range accepted at all (a /8): the expanded list is held in memory (about 100 bytes each).
pub const MAX_RANGE: u64 = 1 << 24;
/// Largest target list or exclude file read (64 MiB).
pub const MAX_LIST_BYTES: u64 = 64 * 1024 * 1024;
/// Largest .rdp file read (as `check FILE.rdp`).
const MAX_RDP_BYTES: u64 = 16 * 1024 * 1024;

/// One target of the scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpec {
    /// A DNS name or an IP literal (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    /// Match the certificate against this name instead of `host`.
    pub tls_name: Option<String>,
    /// A free label carried into the output (site, customer, owner).
    pub tag: Option<String>,
    /// Reach the target through this RD Gateway (host, port).
    pub gateway: Option<(String, u16)>,
    /// Offer TLS only (an .rdp file that turns CredSSP off).
    pub tls_only: bool,
    /// Where the target came from: `argument 2`, `hosts.txt:14`, `rds1.rdp`.
    pub source: String,
}

impl TargetSpec {
    /// `host:port` as typed by a user (`[v6]:port` for IPv6).
    pub fn input(&self) -> String {
        input_of(&self.host, self.port)
    }

    /// The identity of a target across runs (dedupe, resume, diff): lower-case `host:port`, and the
    /// gateway when there is one.
    pub fn key(&self) -> String {
        let mut base = self.input();
        base.make_ascii_lowercase();
        match &self.gateway {
            Some((gw, port)) => format!("{base} via {}:{port}", gw.to_ascii_lowercase()),
            None => base,
        }
    }

    /// The host whose connections are paced together (and hashed for `--shard`): lower case.
    pub fn host_key(&self) -> String {
        self.host.to_ascii_lowercase()
    }
}

/// A line or argument that is not a target, with where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// `hosts.txt`, `-` (standard input), `arguments`, `rds1.rdp`.
    pub source: String,
    /// 1-based line number (the argument's position for arguments).
    pub line: usize,
    pub text: String,
    pub reason: String,
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}: {:?}", self.source, self.line, self.reason, self.text)
    }
}

/// Why the target set cannot be built at all (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum TargetsError {
    #[error("{range} is {count} addresses, more than a /16 ({LARGE_RANGE}); add --allow-large to scan it")]
    TooLarge { range: String, count: u64 },
    #[error("{range} is {count} addresses, more than the {MAX_RANGE} a scan holds")]
    Huge { range: String, count: u64 },
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path} is larger than {} MiB", MAX_LIST_BYTES / 1024 / 1024)]
    TooBig { path: String },
    #[error("{0}")]
    Invalid(String),
}

/// What the user named.
#[derive(Debug, Clone, Default)]
pub struct TargetArgs {
    /// Positional `HOST[:PORT]`, CIDR ranges, `.rdp` files and folders of them.
    pub positional: Vec<String>,
    /// `-iL` files; `-` is standard input.
    pub lists: Vec<PathBuf>,
    /// `--exclude` items (comma lists of hosts, addresses, CIDR ranges, `host:port`).
    pub exclude: Vec<String>,
    /// `--excludefile` files (one item per line, `#` comments).
    pub exclude_files: Vec<PathBuf>,
    /// The port for targets without one.
    pub default_port: u16,
    /// Accept ranges larger than a /16.
    pub allow_large: bool,
    /// `--gateway` for every target without its own.
    pub gateway: Option<(String, u16)>,
}

/// The targets, in the order given, without duplicates and exclusions.
#[derive(Debug, Clone, Default)]
pub struct TargetSet {
    pub targets: Vec<TargetSpec>,
    pub malformed: Vec<Malformed>,
    /// Targets named more than once (merged into the first).
    pub duplicates: usize,
    /// Targets dropped by `--exclude`/`--excludefile`.
    pub excluded: usize,
}

/// Builds the target set. `stdin` is read for `-iL -`.
pub fn collect(args: &TargetArgs, stdin: &mut dyn Read) -> Result<TargetSet, TargetsError> {
    let mut b = Builder { args, set: TargetSet::default(), seen: HashMap::new() };
    for (i, arg) in args.positional.iter().enumerate() {
        let path = Path::new(arg);
        if path.is_dir() {
            b.rdp_folder(path)?;
        } else if arg.to_ascii_lowercase().ends_with(".rdp") && path.is_file() {
            b.rdp_file(path)?;
        } else {
            b.entry(arg, "arguments", i + 1)?;
        }
    }
    for list in &args.lists {
        let (name, text) = read_list(list, stdin)?;
        for (n, line) in text.lines().enumerate() {
            let line = strip_comment(line);
            if !line.is_empty() {
                b.entry(line, &name, n + 1)?;
            }
        }
    }
    let mut exclusions = Exclusions::default();
    for item in args.exclude.iter().flat_map(|e| e.split(',')).map(str::trim).filter(|s| !s.is_empty()) {
        exclusions.add(item, "--exclude", 0, &mut b.set.malformed);
    }
    for file in &args.exclude_files {
        let (name, text) = read_list(file, stdin)?;
        for (n, line) in text.lines().enumerate() {
            let line = strip_comment(line);
            let item = line.split(',').next().unwrap_or("").trim();
            if !item.is_empty() {
                exclusions.add(item, &name, n + 1, &mut b.set.malformed);
            }
        }
    }
    let mut set = b.set;
    if !exclusions.is_empty() {
        let before = set.targets.len();
        set.targets.retain(|t| !exclusions.matches(t));
        set.excluded = before - set.targets.len();
    }
    Ok(set)
}

fn strip_comment(line: &str) -> &str {
    line.split_once('#').map_or(line, |(before, _)| before).trim()
}

fn read_list(path: &Path, stdin: &mut dyn Read) -> Result<(String, String), TargetsError> {
    let name = path.display().to_string();
    let mut bytes = Vec::new();
    if name == "-" {
        stdin
            .take(MAX_LIST_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|source| TargetsError::Read { path: name.clone(), source })?;
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_LIST_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|source| TargetsError::Read { path: name.clone(), source })?;
    }
    if bytes.len() as u64 > MAX_LIST_BYTES {
        return Err(TargetsError::TooBig { path: name });
    }
    Ok((name, String::from_utf8_lossy(&bytes).into_owned()))
}

struct Builder<'a> {
    args: &'a TargetArgs,
    set: TargetSet,
    /// key → index in `set.targets`.
    seen: HashMap<String, usize>,
}

impl Builder<'_> {
    fn malformed(&mut self, source: &str, line: usize, text: &str, reason: impl Into<String>) {
        self.set.malformed.push(Malformed {
            source: source.to_owned(),
            line,
            text: text.chars().take(200).collect(),
            reason: reason.into(),
        });
    }

    fn push(&mut self, t: TargetSpec) {
        // One hash of the key whether it is new or not (a range pushes up to 65,536 new ones).
        match self.seen.entry(t.key()) {
            Entry::Occupied(seen) => {
                self.set.duplicates += 1;
                if let Some(first) = self.set.targets.get_mut(*seen.get()) {
                    if first.tls_name.is_none() {
                        first.tls_name = t.tls_name;
                    }
                    if first.tag.is_none() {
                        first.tag = t.tag;
                    }
                }
            }
            Entry::Vacant(slot) => {
                slot.insert(self.set.targets.len());
                self.set.targets.push(t);
            }
        }
    }

    /// One `host[:port][,tls-name][,tag]` entry (or a CIDR range in the host position).
    fn entry(&mut self, text: &str, source: &str, line: usize) -> Result<(), TargetsError> {
        let mut fields = text.split(',').map(str::trim);
        let first = fields.next().unwrap_or("");
        let mut tls_name = None;
        let mut tag = None;
        let mut gateway = self.args.gateway.clone();
        let mut positional = 0;
        for f in fields {
            if let Some(v) = f.strip_prefix("gateway=") {
                match rdp_doctor_probe::gateway::parse_gateway(v) {
                    Ok(g) => gateway = Some(g),
                    Err(e) => {
                        self.malformed(source, line, text, format!("invalid gateway {v:?}: {e}"));
                        return Ok(());
                    }
                }
                continue;
            }
            let (slot, value) = if let Some(v) = f.strip_prefix("tls-name=") {
                (0, v)
            } else if let Some(v) = f.strip_prefix("tag=") {
                (1, v)
            } else {
                positional += 1;
                (positional - 1, f)
            };
            let value = (!value.is_empty()).then(|| value.to_owned());
            match slot {
                0 => tls_name = value,
                1 => tag = value,
                _ => {
                    self.malformed(source, line, text, "too many fields: expected host[:port][,tls-name][,tag]");
                    return Ok(());
                }
            }
        }
        if let Some(name) = &tls_name
            && !valid_name(name)
        {
            self.malformed(source, line, text, format!("invalid tls-name {name:?}"));
            return Ok(());
        }
        if first.contains('/') {
            return self.range(first, text, source, line, tls_name, tag, gateway);
        }
        match rdp_doctor_probe::parse_target(first, self.args.default_port) {
            Ok(t) => self.push(TargetSpec {
                host: t.host,
                port: t.port,
                tls_name,
                tag,
                gateway,
                tls_only: false,
                source: where_(source, line),
            }),
            Err(e) => self.malformed(source, line, text, e.to_string()),
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn range(
        &mut self,
        spec: &str,
        text: &str,
        source: &str,
        line: usize,
        tls_name: Option<String>,
        tag: Option<String>,
        gateway: Option<(String, u16)>,
    ) -> Result<(), TargetsError> {
        let (cidr, port) = match parse_cidr(spec, self.args.default_port) {
            Ok(v) => v,
            Err(reason) => {
                self.malformed(source, line, text, reason);
                return Ok(());
            }
        };
        let count = cidr.host_count();
        if count > MAX_RANGE {
            return Err(TargetsError::Huge { range: spec.to_owned(), count });
        }
        if count > LARGE_RANGE && !self.args.allow_large {
            return Err(TargetsError::TooLarge { range: spec.to_owned(), count });
        }
        let src = where_(source, line);
        // Room for the whole range at once (≤ MAX_RANGE): no rehashing or regrowing while it expands.
        let room = usize::try_from(count).unwrap_or(0);
        self.set.targets.reserve(room);
        self.seen.reserve(room);
        for ip in cidr.hosts() {
            // Room for the longest address at once (`to_string` grows its buffer twice for an IPv4 one).
            let mut host = String::with_capacity(if ip.is_ipv4() { 15 } else { 39 });
            let _ = write!(host, "{ip}");
            self.push(TargetSpec {
                host,
                port,
                tls_name: tls_name.clone(),
                tag: tag.clone(),
                gateway: gateway.clone(),
                tls_only: false,
                source: src.clone(),
            });
        }
        Ok(())
    }

    fn rdp_folder(&mut self, dir: &Path) -> Result<(), TargetsError> {
        let read =
            std::fs::read_dir(dir).map_err(|source| TargetsError::Read { path: dir.display().to_string(), source })?;
        let mut files: Vec<PathBuf> = read
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x.eq_ignore_ascii_case("rdp")))
            .collect();
        files.sort();
        for f in files {
            self.rdp_file(&f)?;
        }
        Ok(())
    }

    fn rdp_file(&mut self, path: &Path) -> Result<(), TargetsError> {
        let name = path.display().to_string();
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_RDP_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|source| TargetsError::Read { path: name.clone(), source })?;
        if bytes.len() as u64 > MAX_RDP_BYTES {
            self.malformed(&name, 0, "", "larger than 16 MiB: not an .rdp file");
            return Ok(());
        }
        let file = rdp_doctor_rdpfile::RdpFile::parse(&bytes);
        let Some(plan) = rdp_doctor_rdpfile::check::plan(&file, self.args.default_port) else {
            let line = file.effective("full address").map_or(0, |(n, _)| n);
            self.malformed(&name, line, "", "no usable full address (rdp-doctor rdpfile lint says why)");
            return Ok(());
        };
        let gateway = match plan.gateway.as_deref().map(rdp_doctor_probe::gateway::parse_gateway) {
            Some(Ok(g)) => Some(g),
            Some(Err(e)) => {
                self.malformed(&name, 0, "", format!("invalid gatewayhostname: {e}"));
                return Ok(());
            }
            None => self.args.gateway.clone(),
        };
        let host = plan.host.trim_start_matches('[').trim_end_matches(']').to_owned();
        self.push(TargetSpec {
            host,
            port: plan.port,
            tls_name: None,
            tag: None,
            gateway,
            tls_only: plan.credssp_off,
            source: name,
        });
        Ok(())
    }
}

/// `host:port`, `[v6]:port`.
pub fn input_of(host: &str, port: u16) -> String {
    // Sized at once: `[`, `]`, `:` and five digits at most.
    let mut s = String::with_capacity(host.len() + 8);
    let _ = if host.contains(':') { write!(s, "[{host}]:{port}") } else { write!(s, "{host}:{port}") };
    s
}

fn where_(source: &str, line: usize) -> String {
    if source == "arguments" { format!("argument {line}") } else { format!("{source}:{line}") }
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '*' | ':'))
}

/// `--exclude` / `--excludefile` items.
#[derive(Debug, Default)]
struct Exclusions {
    ranges: Vec<Cidr>,
    hosts: Vec<String>,
    host_ports: Vec<String>,
}

impl Exclusions {
    fn is_empty(&self) -> bool {
        self.ranges.is_empty() && self.hosts.is_empty() && self.host_ports.is_empty()
    }

    fn add(&mut self, item: &str, source: &str, line: usize, malformed: &mut Vec<Malformed>) {
        let bad = |reason: String| Malformed { source: source.to_owned(), line, text: item.to_owned(), reason };
        if item.contains('/') {
            match parse_cidr(item, 0) {
                Ok((c, _)) => self.ranges.push(c),
                Err(reason) => malformed.push(bad(reason)),
            }
            return;
        }
        match rdp_doctor_probe::parse_target(item, 0) {
            // Port 0 stands for "no port given" (an explicit :0 is refused by the parser): the whole host.
            Ok(t) => {
                let host = t.host.to_ascii_lowercase();
                match (t.port, t.ip) {
                    (0, Some(ip)) => self.ranges.push(Cidr::single(ip)),
                    (0, None) => self.hosts.push(host),
                    (port, _) => self.host_ports.push(input_of(&host, port)),
                }
            }
            Err(e) => malformed.push(bad(e.to_string())),
        }
    }

    fn matches(&self, t: &TargetSpec) -> bool {
        let host = t.host.to_ascii_lowercase();
        if self.hosts.contains(&host) {
            return true;
        }
        if !self.host_ports.is_empty() && self.host_ports.contains(&t.input().to_ascii_lowercase()) {
            return true;
        }
        match host.parse::<IpAddr>() {
            Ok(ip) => self.ranges.iter().any(|r| r.contains(ip)),
            Err(_) => false,
        }
    }
}

#[cfg(test)]
#[path = "targets_tests.rs"]
mod tests;
