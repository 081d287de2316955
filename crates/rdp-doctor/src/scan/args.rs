//! `rdp-doctor scan` arguments.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::cli::FailOn;

/// `rdp-doctor scan 10.0.0.0/24 -iL hosts.txt -o fleet.jsonl --csv fleet.csv`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Targets: HOST[:PORT], [IPv6]:PORT, CIDR ranges (10.0.0.0/24, 10.0.0.0/24:3390), .rdp files (their
    /// address and gateway) or a folder of .rdp files.
    pub targets: Vec<String>,
    /// Read targets from FILE (`-` for standard input): one `host[:port][,tls-name][,tag]` per line (also
    /// `gateway=GW[:PORT]`), `#` comments. Repeatable. Written `-iL` as in nmap, or `--iL`.
    #[arg(long = "iL", value_name = "FILE")]
    pub lists: Vec<PathBuf>,
    /// Leave these out: comma lists of hosts, addresses, CIDR ranges or host:port. Repeatable.
    #[arg(long, value_name = "LIST")]
    pub exclude: Vec<String>,
    /// Leave out the hosts, addresses and ranges listed in FILE (one per line, `#` comments). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub excludefile: Vec<PathBuf>,
    /// The port for targets without one.
    #[arg(long, short = 'p', default_value_t = 3389)]
    pub port: u16,
    /// Accept ranges larger than a /16 (65,536 addresses); at most a /8.
    #[arg(long)]
    pub allow_large: bool,
    /// Exit 2 when a target line or argument is malformed (otherwise it is reported and skipped).
    #[arg(long)]
    pub strict: bool,
    /// Hosts checked at once.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub concurrency: u32,
    /// New connections per second across the scan (each check opens 7 by default: the main one and the six
    /// of the security-layer matrix; about 30 with --deep). Unlimited when not given.
    #[arg(long, value_name = "CONN/S")]
    pub max_rate: Option<f64>,
    /// Deadline of each layer of each check (DNS, each TCP attempt, X.224, TLS, CredSSP).
    #[arg(long, default_value = "5s", value_parser = crate::cli::parse_duration)]
    pub timeout: Duration,
    /// Deadline of one target's whole check; a target that hits it is reported as `scan.host_deadline`.
    #[arg(long, default_value = "60s", value_parser = crate::cli::parse_duration)]
    pub host_timeout: Duration,
    /// Check only shard i of N (1-based, e.g. 2/4): a stable hash of each host, so N machines split one
    /// list without overlap and every port of a host stays on one machine.
    #[arg(long, value_name = "i/N")]
    pub shard: Option<String>,
    /// Continue a stopped scan: skip the targets FILE (its JSONL output) already has and append the rest
    /// to it.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["output", "jsonl"])]
    pub resume: Option<PathBuf>,
    /// Also enumerate TLS versions and cipher suites per host (about 24 more connections each).
    #[arg(long)]
    pub deep: bool,
    /// Skip the security-layer matrix (NLA and Standard RDP Security are then not judged).
    #[arg(long)]
    pub no_matrix: bool,
    /// Reach every target through this RD Gateway (a list line's `gateway=` overrides it).
    #[arg(long, value_name = "GW[:PORT]")]
    pub gateway: Option<String>,
    /// Security protocols to offer in RDP_NEG_REQ (as `check --protocols`).
    #[arg(long, default_value = crate::cli::DEFAULT_PROTOCOLS)]
    pub protocols: String,
    /// Skip the direct DNS query (hickory) and use only the OS resolver.
    #[arg(long)]
    pub no_direct_dns: bool,
    /// What the scan writes: `json` (default) one JSON report per line (JSONL, streamed as hosts finish);
    /// `text` the summary alone; `html` one self-contained fleet page (sortable host table, verdict counts,
    /// certificate expiry timeline, findings across hosts, each remedy once) or `markdown` the same for a
    /// ticket — both written when the scan ends, for at most 20,000 targets.
    #[arg(long, value_enum, default_value_t = crate::cli::Format::Json, value_name = "FORMAT")]
    pub format: crate::cli::Format,
    /// Short for --format json (the default).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Write the output of --format to FILE instead of standard output (the summary then goes to standard
    /// output). The JSONL is streamed to it; a page or the summary is written atomically. Never one of the
    /// scan's input files.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// With --format text, markdown or html: also write the JSONL to FILE, streamed.
    #[arg(long, value_name = "FILE")]
    pub jsonl: Option<PathBuf>,
    /// Also write one CSV row per target to FILE.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Write the summary as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// No summary at the end.
    #[arg(long)]
    pub no_summary: bool,
    /// Judge every host against a policy: a built-in name (strict, compatible; see --list-policies) or a
    /// TOML file. Mismatches become `policy.*` findings.
    #[arg(long, value_name = "NAME|FILE")]
    pub policy: Option<String>,
    /// List the built-in policies with their TOML, and exit.
    #[arg(long, exclusive = true)]
    pub list_policies: bool,
    /// Check the one target given (a known-good server) and write a policy it meets to FILE.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["policy", "resume", "output", "csv"])]
    pub make_policy: Option<PathBuf>,
    /// Exit 1 when a host has a finding at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Warn)]
    pub fail_on: FailOn,
    /// Progress on standard error: `auto` shows it on a terminal only.
    #[arg(long, value_enum, default_value_t = Progress::Auto)]
    pub progress: Progress,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum Progress {
    Auto,
    Always,
    Never,
}

/// nmap spells the list option `-iL`; clap's short options are one letter, so `-iL` becomes `--iL`.
pub fn normalise_args(args: impl Iterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    args.map(|a| if a == "-iL" { "--iL".into() } else { a }).collect()
}
