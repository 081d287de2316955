//! `rdp-doctor diff OLD.jsonl NEW.jsonl`: exit 0 when the runs are the same, 1 when they differ, 2 on an
//! error (unreadable file, a line that is not a report).

use std::io::Write as _;

use anyhow::Context;
use clap::Args;

/// `rdp-doctor diff last-week.jsonl today.jsonl`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier scan's JSONL.
    pub old: std::path::PathBuf,
    /// The later scan's JSONL.
    pub new: std::path::PathBuf,
    /// Print the diff as JSON.
    #[arg(long)]
    pub json: bool,
}

fn read(
    path: &std::path::Path,
) -> anyhow::Result<std::collections::BTreeMap<String, rdp_doctor_scan::diff::HostRecord>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let (hosts, notes) = rdp_doctor_scan::diff::read_run(std::io::BufReader::with_capacity(1 << 16, file))
        .with_context(|| format!("in {}", path.display()))?;
    if notes.cut_off_last_line {
        eprintln!("rdp-doctor: {}: the last line is cut off (a stopped scan); it was ignored", path.display());
    }
    if notes.repeated > 0 {
        eprintln!(
            "rdp-doctor: {}: {} hosts appear more than once; the last line of each counts",
            path.display(),
            notes.repeated
        );
    }
    Ok(hosts)
}

pub fn run(args: &DiffArgs) -> anyhow::Result<u8> {
    let old = read(&args.old)?;
    let new = read(&args.new)?;
    let d = rdp_doctor_scan::diff::diff(&old, &new);
    let _ = if args.json {
        let v = serde_json::json!({
            "schema_version": 1,
            "kind": "scan_diff",
            "old": args.old.display().to_string(),
            "new": args.new.display().to_string(),
            "same": d.same(),
            "diff": d,
        });
        writeln!(std::io::stdout().lock(), "{}", serde_json::to_string_pretty(&v).unwrap_or_default())
    } else {
        anstream::stdout().write_all(super::render::diff(&d).as_bytes())
    };
    Ok(if d.same() { 0 } else { 1 })
}
