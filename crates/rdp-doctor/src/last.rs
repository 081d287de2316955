//! `rdp-doctor last`: start from the failure the user just had. The Remote Desktop client's own log (live
//! on Windows through `wevtutil`, or an exported `.evtx`/XML on any OS with `--events`) is grouped into
//! attempts and decoded; the attempt diagnosed is checked again against the same server, port and gateway
//! (from its .rdp file when one is found), and the client's settings are read (live on Windows). One
//! report joins them. The reading is `rdp-doctor-client`'s, the judgement core's; this module wires them.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use rdp_doctor_client::collect::{self, Options};
use rdp_doctor_core::Finding;
use rdp_doctor_core::evidence::client::ClientEvidence;
use rdp_doctor_core::evidence::{Evidence, Target};

use crate::cli::{ProbeArgs, ReportArgs};

#[derive(Debug, Args)]
pub struct LastArgs {
    /// Read an exported client log instead of this PC's: an .evtx (`wevtutil epl
    /// Microsoft-Windows-TerminalServices-RDPClient/Operational rdpclient.evtx`) or the XML `wevtutil qe …
    /// /f:xml` prints. Repeatable (the Analytic log's export adds the gateway events).
    #[arg(long = "events", value_name = "FILE", num_args = 1..)]
    pub events: Vec<PathBuf>,
    /// List attempts from this long before the newest record (live: before now): `48h`, `7d`, `90m`, or
    /// a Unix time. Default 24h.
    #[arg(long, value_name = "DURATION|UNIX")]
    pub since: Option<String>,
    /// Diagnose attempt N of the list (1 = the newest) instead of the newest failed one.
    #[arg(long, value_name = "N")]
    pub attempt: Option<u32>,
    /// The dialog's "Extended error code" (the log records only the first code): 0x7, 7.
    #[arg(long, value_name = "CODE", value_parser = parse_code)]
    pub extended: Option<u32>,
    /// Only decode the log: do not check the server again.
    #[arg(long)]
    pub no_check: bool,
    /// The exported log (--events) is this PC's own: read this PC's client settings (Windows registry,
    /// Default.rdp) and look for the attempt's .rdp file in its folders too, as without --events.
    #[arg(long)]
    pub this_pc: bool,
    /// The .rdp file the attempt came from (its port, gateway and settings are used; it is linted).
    #[arg(long, value_name = "FILE.rdp")]
    pub rdp: Option<PathBuf>,
    #[command(flatten)]
    pub probe: ProbeArgs,
    #[command(flatten)]
    pub output: ReportArgs,
}

fn parse_code(s: &str) -> Result<u32, String> {
    rdp_doctor_codes::parse_number(s).map_err(|e| format!("{s:?}: {e}"))
}

/// Reads the log the arguments name.
fn read_logs(
    args: &LastArgs,
    window_s: i64,
) -> anyhow::Result<(Vec<(String, rdp_doctor_client::source::LogRead)>, bool)> {
    if !args.events.is_empty() {
        let mut out = Vec::new();
        for p in &args.events {
            let r = rdp_doctor_client::source::read_file(p).map_err(anyhow::Error::msg)?;
            out.push((p.display().to_string(), r));
        }
        return Ok((out, false));
    }
    live_log(window_s)
}

#[cfg(windows)]
fn live_log(window_s: i64) -> anyhow::Result<(Vec<(String, rdp_doctor_client::source::LogRead)>, bool)> {
    let (shown, r) = rdp_doctor_client::live::read_log(window_s).map_err(anyhow::Error::msg)?;
    Ok((vec![(shown, r)], true))
}

#[cfg(not(windows))]
fn live_log(_window_s: i64) -> anyhow::Result<(Vec<(String, rdp_doctor_client::source::LogRead)>, bool)> {
    anyhow::bail!(
        "rdp-doctor last reads this PC's Remote Desktop client log only on Windows; here give an exported log: \
         --events rdpclient.evtx (wevtutil epl Microsoft-Windows-TerminalServices-RDPClient/Operational rdpclient.evtx) \
         or --events rdpclient.xml (wevtutil qe Microsoft-Windows-TerminalServices-RDPClient/Operational /f:xml > rdpclient.xml)"
    )
}

/// The client's registry and folders, live on Windows; a stated limitation elsewhere.
#[cfg(windows)]
fn read_local(c: &mut ClientEvidence, host: Option<&str>, port: Option<u16>) -> Vec<Finding> {
    let reg = rdp_doctor_host::live::LiveRegistry::new();
    rdp_doctor_client::settings::read_into(&reg, host, port, c);
    let mut lint = Vec::new();
    if let Some(p) = rdp_doctor_client::live::default_rdp() {
        c.default_rdp = Some(p.display().to_string());
        if let Some(file) = collect::read_rdp(&p) {
            lint = rdpfile_findings(&file, &p);
        }
    }
    lint
}

#[cfg(not(windows))]
fn read_local(c: &mut ClientEvidence, _host: Option<&str>, _port: Option<u16>) -> Vec<Finding> {
    c.limitations.push(
        "The client's settings (UDP policy, Schannel and CredSSP switches, the remembered certificate, the WinHTTP \
         proxy, VPN adapters, outbound firewall rules, Default.rdp) are read from the registry of the PC itself: \
         run rdp-doctor last on that Windows PC; an exported log does not carry them."
            .to_owned(),
    );
    Vec::new()
}

#[cfg(windows)]
fn rdp_dirs() -> Vec<PathBuf> {
    rdp_doctor_client::live::rdp_dirs()
}

#[cfg(not(windows))]
fn rdp_dirs() -> Vec<PathBuf> {
    Vec::new()
}

/// An .rdp file's lint findings, each saying which file it is about.
fn rdpfile_findings(file: &rdp_doctor_rdpfile::RdpFile, path: &Path) -> Vec<Finding> {
    let mut out = rdp_doctor_rdpfile::lint(file);
    for f in &mut out {
        f.evidence.insert(0, format!("in {}", path.display()));
    }
    out
}

/// Runs `rdp-doctor last`.
pub async fn run(args: &LastArgs) -> anyhow::Result<u8> {
    let start = Instant::now();
    let now = crate::host::now_unix();
    let live = args.events.is_empty();
    // Live, the query asks wevtutil for the window (default 24 h, or --since).
    let window_s = match &args.since {
        Some(s) => (now - crate::host::parse_since(s, now)?).max(60),
        None => collect::DEFAULT_WINDOW_S,
    };
    let (reads, live_read) = read_logs(args, window_s)?;
    let newest = reads.iter().flat_map(|(_, r)| r.records.iter().map(|e| e.time_unix)).max().unwrap_or(now);
    let since =
        args.since.as_deref().map(|s| crate::host::parse_since(s, if live { now } else { newest })).transpose()?;
    let opts = Options { since, attempt: args.attempt, extended: args.extended, now, live: live_read };
    let collection = if live { "live" } else { "events" };
    let mut client = collect::evidence(&reads, collection, &opts).map_err(anyhow::Error::msg)?;
    let attempt = client.selected_attempt().cloned();
    let server = attempt.as_ref().and_then(|a| a.server.clone());
    // This PC's settings and folders: live, or an export the user says is this PC's (--this-pc).
    let local = live || args.this_pc;
    let port = attempt.as_ref().and_then(|a| a.port);
    let mut extra =
        if local { read_local(&mut client, server.as_deref(), port) } else { read_local_offline(&mut client) };

    // The .rdp file: given, or found in the user's folders (live).
    let mut rdp_file = None;
    if let Some(p) = &args.rdp {
        let bytes = crate::rdpfile::files::read_bounded(p)?;
        let file = rdp_doctor_rdpfile::RdpFile::parse(&bytes);
        client.rdp_file = Some(rdp_doctor_core::evidence::client::RdpFileMatch {
            path: Some(p.display().to_string()),
            how: "given with --rdp".to_owned(),
        });
        extra.extend(rdpfile_findings(&file, p));
        rdp_file = Some(file);
    } else if let Some(s) = &server {
        let dirs = rdp_dirs();
        if local {
            let m = collect::find_rdp_file(&dirs, s);
            if let Some(p) = &m.path
                && let Some(file) = collect::read_rdp(Path::new(p))
            {
                extra.extend(rdpfile_findings(&file, Path::new(p)));
                rdp_file = Some(file);
            }
            client.rdp_file = Some(m);
        } else {
            client.limitations.push(
                "The log does not record which .rdp file an attempt came from; give it with --rdp FILE to check with its port, gateway and settings (or run on the PC itself, or add --this-pc when this is that PC's log)."
                    .to_owned(),
            );
        }
    }

    let Some(server) = server.filter(|_| !args.no_check) else {
        if !args.no_check {
            client.limitations.push(
                "The attempt does not name its server (no 1024 record in the window): nothing was checked.".to_owned(),
            );
        }
        let host = attempt.as_ref().and_then(|a| a.server.clone()).unwrap_or_default();
        let port = attempt.as_ref().and_then(|a| a.port).unwrap_or(3389);
        let mut ev = Evidence::new(Target { input: host.clone(), host, port, ip: None }, now);
        ev.client = Some(client);
        let mut report = rdp_doctor_core::client_report::build(ev, start.elapsed().as_secs_f64() * 1000.0);
        report.add_findings(extra);
        return emit(&report, args);
    };

    // What to check: the file's plan when there is one, else the attempt's server, port and gateway.
    let a = attempt.as_ref();
    let mut opts = args.probe.options()?;
    let plan =
        rdp_file.as_ref().and_then(|f| rdp_doctor_rdpfile::check::plan(f, a.and_then(|a| a.port).unwrap_or(3389)));
    let (host, port) = match &plan {
        Some(p) if p.host.eq_ignore_ascii_case(&server) => (p.host.clone(), p.port),
        _ => (server.clone(), a.and_then(|a| a.port).unwrap_or(3389)),
    };
    if opts.gateway.is_none() {
        let gw = plan.as_ref().and_then(|p| p.gateway.clone()).or_else(|| a.and_then(|a| a.gateway.clone()));
        if let Some(gw) = gw {
            opts.gateway = Some(
                rdp_doctor_probe::gateway::parse_gateway(&gw)
                    .with_context(|| format!("cannot use the gateway {gw:?}"))?,
            );
        }
    }
    if let Some(p) = &plan {
        client.limitations.extend(p.limitations.iter().cloned());
    }
    let bracketed = if host.contains(':') { format!("[{host}]") } else { host.clone() };
    let target = rdp_doctor_probe::parse_target(&bracketed, port).with_context(|| format!("cannot check {host:?}"))?;
    let mut evidence = rdp_doctor_probe::check(target, &opts).await;
    evidence.client = Some(client);
    let mut report = rdp_doctor_core::report::build(evidence, start.elapsed().as_secs_f64() * 1000.0);
    report.add_findings(extra);
    emit(&report, args)
}

fn read_local_offline(c: &mut ClientEvidence) -> Vec<Finding> {
    c.limitations.push(
        "Read from an exported log: the client's settings (UDP policy, Schannel and CredSSP switches, the remembered \
         certificate, the WinHTTP proxy, VPN adapters, outbound firewall rules, Default.rdp) are not in it; run \
         rdp-doctor last on the PC itself to read them."
            .to_owned(),
    );
    Vec::new()
}

fn emit(report: &rdp_doctor_core::Report, args: &LastArgs) -> anyhow::Result<u8> {
    let mut inputs: Vec<&Path> = args.events.iter().map(PathBuf::as_path).collect();
    inputs.extend(args.rdp.as_deref());
    inputs.extend(args.probe.password_file.as_deref());
    crate::render::emit(report, &args.output, &inputs)
}
