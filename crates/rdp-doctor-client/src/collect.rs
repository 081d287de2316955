//! Turning what was read into [`ClientEvidence`]: the window, the attempts, which one is diagnosed, and the
//! .rdp file it may have come from. Pure but for [`find_rdp_file`], which reads files (read-only, bounded).

use std::io::Read;
use std::path::{Path, PathBuf};

use rdp_doctor_core::evidence::client::{AttemptOutcome, ClientEvidence, RdpFileMatch};
use rdp_doctor_rdpfile::RdpFile;

use crate::attempts;
use crate::source::LogRead;

/// The default window: this long before the newest client record (or the collection time, live).
pub const DEFAULT_WINDOW_S: i64 = 24 * 3600;
/// .rdp files larger than this are not read while looking for the attempt's file.
const MAX_RDP_BYTES: u64 = 1024 * 1024;
/// At most this many .rdp files are read while looking.
const MAX_RDP_FILES: usize = 200;

/// What to diagnose.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Attempts starting before this Unix time are not listed.
    pub since: Option<i64>,
    /// `--attempt N` (1 = the newest); default the newest failed one.
    pub attempt: Option<u32>,
    /// The dialog's extended code (`--extended`), which the log does not record.
    pub extended: Option<u32>,
    /// Collection time; the window counts back from it when `live`.
    pub now: i64,
    pub live: bool,
}

/// Builds the evidence from the inputs read. `Err` with a message a person can act on when there is no
/// attempt to show.
pub fn evidence(reads: &[(String, LogRead)], collection: &str, opts: &Options) -> Result<ClientEvidence, String> {
    let mut ev = ClientEvidence { collection: collection.to_owned(), ..ClientEvidence::default() };
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for (name, r) in reads {
        ev.inputs.push(name.clone());
        ev.records_read += r.records_read;
        ev.client_records += r.records.len() as u64;
        ev.damaged += r.damaged;
        for (ch, n) in &r.other_channels {
            match ev.other_channels.iter_mut().find(|(c, _)| c == ch) {
                Some((_, m)) => *m += n,
                None => ev.other_channels.push((ch.clone(), *n)),
            }
        }
        if let Some(e) = &r.error {
            errors.push(format!("{name}: {e}"));
        }
        records.extend(r.records.iter().cloned());
    }
    if !errors.is_empty() {
        ev.read_error = Some(errors.join("; "));
        ev.limitations.push(format!("The log could not be read to its end: {}", errors.join("; ")));
    }
    if records.is_empty() {
        let what = if ev.inputs.is_empty() { "the log".to_owned() } else { ev.inputs.join(", ") };
        let r = LogRead {
            records_read: ev.records_read,
            other_channels: ev.other_channels.clone(),
            error: ev.read_error.clone(),
            ..LogRead::default()
        };
        return Err(crate::source::nothing_to_read(&what, &r).unwrap_or_else(|| format!("{what}: no records")));
    }
    let newest = records.iter().map(|e| e.time_unix).max().unwrap_or(opts.now);
    let window_start = opts.since.unwrap_or(if opts.live { opts.now } else { newest } - DEFAULT_WINDOW_S);
    ev.window_start_unix = window_start;
    let all = attempts::group(&records);
    let before = all.iter().filter(|a| a.started_unix < window_start).count();
    let mut kept: Vec<_> = all.into_iter().filter(|a| a.started_unix >= window_start).collect();
    for (i, a) in kept.iter_mut().enumerate() {
        a.number = u32::try_from(i + 1).unwrap_or(u32::MAX);
    }
    if kept.is_empty() {
        return Err(format!(
            "no connection attempt in the window (since Unix time {window_start}); {before} older attempt(s) in the log: widen it with --since 7d"
        ));
    }
    ev.attempts = kept;
    ev.selected = match opts.attempt {
        Some(n) if ev.attempt(n).is_some() => Some(n),
        Some(n) => {
            return Err(format!(
                "there is no attempt #{n}: the window holds #1 to #{} (newest first)",
                ev.attempts.len()
            ));
        }
        None => ev
            .attempts
            .iter()
            .find(|a| a.outcome == AttemptOutcome::Failed)
            .or_else(|| ev.attempts.first())
            .map(|a| a.number),
    };
    ev.extended_reason = opts.extended;
    if ev.extended_reason.is_none()
        && ev.selected_attempt().is_some_and(|a| a.outcome == AttemptOutcome::Failed && a.disconnect_reason.is_some())
    {
        ev.limitations.push(
            "The client's log records the disconnect reason (the dialog's \"Error code\") but not its \"Extended error code\": give it with --extended CODE to have both read together."
                .to_owned(),
        );
    }
    if before > 0 {
        ev.limitations.push(format!("{before} older attempt(s) are outside the window (--since widens it)."));
    }
    Ok(ev)
}

/// Looks for an .rdp file naming `server` in `dirs` (not recursive; read-only, bounded). The log does not
/// record which file (if any) an attempt came from, so the result says how it was found.
pub fn find_rdp_file(dirs: &[PathBuf], server: &str) -> RdpFileMatch {
    let mut looked = 0usize;
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        for e in entries.filter_map(Result::ok).take(10_000) {
            let p = e.path();
            if !p.extension().is_some_and(|x| x.eq_ignore_ascii_case("rdp")) {
                continue;
            }
            if looked >= MAX_RDP_FILES {
                break;
            }
            looked += 1;
            if let Some(file) = read_rdp(&p)
                && names_server(&file, server)
            {
                return RdpFileMatch {
                    path: Some(p.display().to_string()),
                    how: format!(
                        "its full address names {server}; the log does not record which file an attempt came from, so this is the likely one"
                    ),
                };
            }
        }
    }
    let shown: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    RdpFileMatch {
        path: None,
        how: format!(
            "no .rdp file naming {server} in {} ({looked} read); the check used the server, port and gateway the log names (give the file with --rdp FILE)",
            if shown.is_empty() { "no folder".to_owned() } else { shown.join(", ") }
        ),
    }
}

/// Reads an .rdp file, read-only, up to 1 MiB.
pub fn read_rdp(p: &Path) -> Option<RdpFile> {
    let f = std::fs::File::open(p).ok()?;
    let mut bytes = Vec::new();
    f.take(MAX_RDP_BYTES + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= MAX_RDP_BYTES).then(|| RdpFile::parse(&bytes))
}

/// Whether the file's `full address` (or `alternate full address`) names `server`.
pub fn names_server(file: &RdpFile, server: &str) -> bool {
    ["full address", "alternate full address"].iter().any(|k| {
        file.text(k)
            .and_then(|(_, v)| rdp_doctor_rdpfile::address::parse_address(v).ok())
            .is_some_and(|a| a.host.eq_ignore_ascii_case(server))
    })
}
