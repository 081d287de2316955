//! `rdp-doctor host`: the server's own configuration and logs. Offline from a mounted Windows volume,
//! single hives or exported event logs (any OS), or a saved snapshot; `--save` writes the snapshot.
//! The collection is `rdp-doctor-host`'s; the judgement is core's host rules; this module only wires them.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use rdp_doctor_core::evidence::{Evidence, HostEvidence, Target};

use crate::cli::ReportArgs;

#[derive(Debug, Args)]
pub struct HostArgs {
    /// The root of a Windows system volume mounted here (a rescue VM's data disk: /mnt/windows, F:\\).
    /// Reads Windows\\System32\\config\\SYSTEM, SOFTWARE, SECURITY and SAM (dirty hives recovered from their
    /// .LOG1/.LOG2 in memory), the MachineKeys key file of the listener's certificate, and the event logs under
    /// Windows\\System32\\winevt\\Logs. Nothing on the volume is written.
    #[arg(long, value_name = "DIR")]
    pub offline: Option<PathBuf>,
    /// A single hive file (SYSTEM, SOFTWARE, SECURITY or SAM, e.g. copied with `reg save`). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub hive: Vec<PathBuf>,
    /// Event logs exported with `wevtutil epl` (System, Security, TerminalServices-*, RdpCoreTS).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub evtx: Vec<PathBuf>,
    /// Analyse a snapshot written by `--save` on another machine (no other input is read).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["offline", "hive", "evtx"])]
    pub snapshot: Option<PathBuf>,
    /// Judge this account's Remote Desktop logon right from the local policy and groups (`alice`,
    /// `RDS1\\alice`, `CORP\\carol`, `carol@corp.example`). Repeatable.
    #[arg(long = "user", value_name = "ACCOUNT")]
    pub users: Vec<String>,
    /// Write the collected snapshot (JSON, schema_version 1, docs/host.md) to FILE as well.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Report events from this long before the newest record (`48h`, `7d`, `90m`) or since a Unix time;
    /// default 24h.
    #[arg(long, value_name = "DURATION|UNIX")]
    pub since: Option<String>,
    #[command(flatten)]
    pub output: ReportArgs,
}

pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// `48h`, `7d`, `90m`, `3600s` (relative to `newest`), or a Unix time.
pub(crate) fn parse_since(s: &str, newest: i64) -> anyhow::Result<i64> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num.parse().with_context(|| format!("--since {s}: expected 48h, 7d, 90m or a Unix time"))?;
    Ok(match unit {
        "" => n,
        "s" => newest - n,
        "m" => newest - n * 60,
        "h" => newest - n * 3600,
        "d" => newest - n * 86_400,
        _ => bail!("--since {s}: expected 48h, 7d, 90m or a Unix time"),
    })
}

/// Collects (or loads) the host evidence the arguments name.
fn collect(args: &HostArgs) -> anyhow::Result<HostEvidence> {
    if let Some(p) = &args.snapshot {
        return Ok(rdp_doctor_host::snapshot::load(p)?);
    }
    if args.offline.is_none() && args.hive.is_empty() && (args.evtx.is_empty() || cfg!(windows)) {
        live(args)
    } else {
        let now = now_unix();
        let mut inputs = rdp_doctor_host::offline::Inputs {
            volume: args.offline.clone(),
            hives: args.hive.clone(),
            evtx: args.evtx.clone(),
            since: None,
            now,
        };
        if let Some(s) = &args.since {
            // Relative windows count back from the newest record read, as the default does.
            let mut logs = args.evtx.clone();
            if let Some(v) = &args.offline
                && let Some(d) = rdp_doctor_host::offline::find_ci(v, &["Windows", "System32", "winevt", "Logs"])
            {
                logs.extend(std::fs::read_dir(d).into_iter().flatten().filter_map(Result::ok).map(|e| e.path()));
            }
            let newest = logs
                .iter()
                .filter_map(|p| rdp_doctor_host::events::newest_in_file(p).ok().flatten())
                .max()
                .unwrap_or(now);
            inputs.since = Some(parse_since(s, newest)?);
        }
        let ev = rdp_doctor_host::offline::collect(&inputs);
        if !rdp_doctor_host::offline::readable(&ev) {
            let mut msg = String::from("nothing could be read");
            for h in &ev.hives {
                msg.push_str(&format!(
                    "\n  {}: {}",
                    h.path,
                    h.error.as_deref().unwrap_or("not a SYSTEM, SOFTWARE, SECURITY or SAM hive")
                ));
            }
            for f in ev.events.iter().flat_map(|e| e.files.iter()) {
                msg.push_str(&format!("\n  {}: {}", f.path, f.error.as_deref().unwrap_or("no records")));
            }
            for l in &ev.limitations {
                msg.push_str(&format!("\n  {l}"));
            }
            bail!(msg);
        }
        Ok(ev)
    }
}

#[cfg(not(windows))]
fn live(_args: &HostArgs) -> anyhow::Result<HostEvidence> {
    bail!(
        "rdp-doctor host reads the local server live only on Windows; here give --offline DIR (a mounted Windows \
         volume), --hive FILE, --evtx FILE… or --snapshot FILE"
    )
}

/// Live on the Windows server: the registry, the service, the listener, the sessions and the event log
/// (`wevtutil qe` over the window), or instead of the live log the files `--evtx` names.
#[cfg(windows)]
fn live(args: &HostArgs) -> anyhow::Result<HostEvidence> {
    let now = now_unix();
    // The live event log (wevtutil) over the window, unless exported logs are given: then those are read.
    let window = match (&args.since, args.evtx.is_empty()) {
        (_, false) => None,
        (Some(s), true) => Some(parse_since(s, now)?),
        (None, true) => Some(now - rdp_doctor_host::events::DEFAULT_WINDOW_S),
    };
    let mut ev = rdp_doctor_host::live::collect(now, window);
    if !args.evtx.is_empty() {
        let newest = args
            .evtx
            .iter()
            .filter_map(|p| rdp_doctor_host::events::newest_in_file(p).ok().flatten())
            .max()
            .unwrap_or(now);
        let since = args.since.as_deref().map(|s| parse_since(s, newest)).transpose()?;
        let events = rdp_doctor_host::events::read_files(&args.evtx, since, None);
        for f in &events.files {
            if let Some(err) = &f.error {
                ev.limitations.push(format!("{}: {err}", f.path));
            }
        }
        ev.events = Some(events);
        ev.collection = "live+evtx".to_owned();
        ev.inputs.extend(args.evtx.iter().map(|p| p.display().to_string()));
    }
    Ok(ev)
}

/// Runs `rdp-doctor host`.
pub fn run(args: &HostArgs) -> anyhow::Result<u8> {
    let start = Instant::now();
    let mut host = collect(args)?;
    for u in &args.users {
        if !host.accounts_checked.contains(u) {
            host.accounts_checked.push(u.clone());
        }
    }
    if let Some(p) = &args.save {
        std::fs::write(p, rdp_doctor_host::snapshot::to_json(&host))
            .with_context(|| format!("cannot write the snapshot {}", p.display()))?;
    }
    let name = host.computer_name.clone().unwrap_or_else(|| "host".to_owned());
    let port = host.value("PortNumber").and_then(|p| u16::try_from(p).ok()).unwrap_or(3389);
    let mut ev = Evidence::new(Target { input: name.clone(), host: name, port, ip: None }, host.collected_at_unix);
    ev.host = Some(host);
    let report = rdp_doctor_core::host_report::build(ev, start.elapsed().as_secs_f64() * 1000.0);
    // The report never lands on what was read (a hive, a log, the snapshot, anywhere on the volume) nor
    // on the snapshot being saved.
    let mut inputs: Vec<&Path> = args.hive.iter().chain(&args.evtx).map(PathBuf::as_path).collect();
    inputs.extend(args.snapshot.as_deref());
    inputs.extend(args.offline.as_deref());
    inputs.extend(args.save.as_deref());
    crate::render::emit(&report, &args.output, &inputs)
}

/// `check --host SNAPSHOT|DIR`: a snapshot file, or a mounted volume read offline.
pub fn load_for_check(p: &Path) -> anyhow::Result<HostEvidence> {
    if p.is_dir() {
        let inputs =
            rdp_doctor_host::offline::Inputs { volume: Some(p.to_path_buf()), now: now_unix(), ..Default::default() };
        let ev = rdp_doctor_host::offline::collect(&inputs);
        if !rdp_doctor_host::offline::readable(&ev) {
            bail!("--host {}: nothing could be read ({})", p.display(), ev.limitations.join("; "));
        }
        Ok(ev)
    } else {
        Ok(rdp_doctor_host::snapshot::load(p)?)
    }
}
