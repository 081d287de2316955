//! `rdp-doctor rdpfile lint|clean|new|explain` and `rdp-doctor check FILE.rdp`. Parsing, linting and
//! cleaning live in the sans-IO crate `rdp-doctor-rdpfile`; this module reads and writes files and prints.
//!
//! Exit codes as everywhere: 0 = nothing at or above `--fail-on` (or the file was written), 1 = findings
//! (or `explain` of an unknown name), 2 = the tool failed (unreadable file, refusing to overwrite, bad
//! arguments).

pub(crate) mod files;
mod show;

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use rdp_doctor_core::Evidence;
use rdp_doctor_core::evidence::Target;
use rdp_doctor_proto::nego::SecurityProtocol;
use rdp_doctor_rdpfile::report::LintReport;
use rdp_doctor_rdpfile::{RdpFile, check, clean, settings, write};
use serde::Serialize;

use crate::cli::{CheckArgs, DEFAULT_PROTOCOLS, OutputArgs};

#[derive(Debug, Subcommand)]
pub enum RdpfileCommand {
    /// Lint an .rdp file: encoding, malformed lines, unknown settings, wrong types and values, duplicates,
    /// contradictions and saved passwords, with line numbers.
    Lint(LintArgs),
    /// Write a minimal, clean copy (UTF-16LE with BOM, CRLF, as mstsc writes) keeping address, user,
    /// gateway and display basics; prints what was kept and dropped. Never overwrites FILE unless
    /// --in-place, which keeps FILE.bak.
    Clean(CleanArgs),
    /// Create a minimal .rdp file for HOST[:PORT].
    New(NewArgs),
    /// Explain a setting (type, allowed values, default, meaning, source); without NAME, list them all.
    Explain(ExplainArgs),
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// The .rdp file.
    pub file: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct CleanArgs {
    /// The .rdp file to clean (never modified without --in-place).
    pub file: PathBuf,
    /// Where to write the clean file (replaced if it exists, unless it is FILE).
    #[arg(short = 'o', long = "output", value_name = "OUT", required_unless_present = "in_place")]
    pub out: Option<PathBuf>,
    /// Replace FILE itself, keeping the original as FILE.bak (refused if FILE.bak exists).
    #[arg(long, conflicts_with = "out")]
    pub in_place: bool,
    /// Print what was done as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The server: HOST, HOST:PORT or [IPv6]:PORT.
    pub host: String,
    /// Connect through this RD Gateway (HOST[:PORT]).
    #[arg(long, value_name = "GW")]
    pub gateway: Option<String>,
    /// Preset this user name (DOMAIN\user or user@domain). No password is ever written.
    #[arg(long, value_name = "U")]
    pub user: Option<String>,
    /// Where to write (default: HOST.rdp in the current directory; `-` for stdout).
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub out: Option<PathBuf>,
    /// Replace OUT if it exists.
    #[arg(long)]
    pub force: bool,
    /// Print what was done as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The setting name (quotes not needed: `explain full address`).
    pub name: Vec<String>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Whether `check`'s target is an .rdp file rather than a host.
pub fn is_rdp_file(target: &str) -> bool {
    Path::new(target).extension().is_some_and(|e| e.eq_ignore_ascii_case("rdp"))
}

pub fn run(cmd: RdpfileCommand) -> anyhow::Result<u8> {
    match cmd {
        RdpfileCommand::Lint(a) => lint(&a),
        RdpfileCommand::Clean(a) => clean(&a),
        RdpfileCommand::New(a) => new(&a),
        RdpfileCommand::Explain(a) => explain(&a),
    }
}

fn print_json(value: &impl Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => println!("{s}"),
        Err(e) => println!("{{\"schema_version\":1,\"error\":\"cannot serialise: {e}\"}}"),
    }
}

fn lint(a: &LintArgs) -> anyhow::Result<u8> {
    let bytes = files::read_bounded(&a.file)?;
    let file = RdpFile::parse(&bytes);
    let report = LintReport::new(&a.file.display().to_string(), &file);
    if a.output.json {
        print_json(&report);
    } else {
        crate::term::print(&show::lint(&report, a.output.verbose));
    }
    Ok(u8::try_from(report.exit_code(a.output.fail_on.threshold())).unwrap_or(2))
}

/// What `clean` did, as JSON.
#[derive(Serialize)]
struct CleanOutput<'a> {
    schema_version: u32,
    kind: &'static str,
    input: String,
    output: String,
    backup: Option<String>,
    encoding: &'static str,
    line_ending: &'static str,
    kept: &'a [clean::Kept],
    dropped: &'a [clean::Dropped],
}

fn clean(a: &CleanArgs) -> anyhow::Result<u8> {
    let bytes = files::read_bounded(&a.file)?;
    let file = RdpFile::parse(&bytes);
    let cleaned = clean::clean(&file).with_context(|| format!("cannot clean {}", a.file.display()))?;
    let out_bytes = cleaned.to_bytes();
    let (out, backup) = if a.in_place {
        let bak = files::backup_path(&a.file);
        if bak.exists() {
            bail!("{} exists: move it away first (--in-place never overwrites a backup)", bak.display());
        }
        files::write_atomic(&bak, &bytes, Some(&a.file), false)
            .with_context(|| format!("cannot keep the original as {}", bak.display()))?;
        files::write_atomic(&a.file, &out_bytes, Some(&a.file), true)?;
        (a.file.clone(), Some(bak))
    } else {
        let Some(out) = &a.out else { bail!("give -o OUT or --in-place") };
        if out.exists() && files::same_file(out, &a.file) {
            bail!("refusing to overwrite the input {}: use --in-place (keeps a .bak) or another -o", a.file.display());
        }
        files::write_atomic(out, &out_bytes, None, true)?;
        (out.clone(), None)
    };
    let output = CleanOutput {
        schema_version: 1,
        kind: "rdpfile_clean",
        input: a.file.display().to_string(),
        output: out.display().to_string(),
        backup: backup.map(|b| b.display().to_string()),
        encoding: "utf-16le-bom",
        line_ending: "crlf",
        kept: &cleaned.kept,
        dropped: &cleaned.dropped,
    };
    if a.json {
        print_json(&output);
    } else {
        crate::term::print(&show::clean(
            &output.input,
            &output.output,
            output.backup.as_deref(),
            &cleaned.kept,
            &cleaned.dropped,
        ));
    }
    Ok(0)
}

/// What `new` did, as JSON.
#[derive(Serialize)]
struct NewOutput<'a> {
    schema_version: u32,
    kind: &'static str,
    output: String,
    encoding: &'static str,
    line_ending: &'static str,
    settings: &'a [write::Entry],
}

fn new(a: &NewArgs) -> anyhow::Result<u8> {
    let entries = write::new_file(&a.host, a.gateway.as_deref(), a.user.as_deref())?;
    let bytes = write::utf16le_with_bom(&write::render(&entries));
    let out = a.out.clone().unwrap_or_else(|| {
        let safe: String =
            a.host.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '.' { c } else { '_' }).collect();
        PathBuf::from(format!("{safe}.rdp"))
    });
    if out.as_os_str() == "-" {
        if a.json {
            bail!("--json and `-o -` both want stdout: choose one");
        }
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(&bytes).and_then(|()| stdout.flush()).context("cannot write to stdout")?;
        return Ok(0);
    }
    if out.exists() && !a.force {
        bail!("{} exists: use --force to replace it, or -o another path", out.display());
    }
    files::write_atomic(&out, &bytes, None, a.force)?;
    let output = NewOutput {
        schema_version: 1,
        kind: "rdpfile_new",
        output: out.display().to_string(),
        encoding: "utf-16le-bom",
        line_ending: "crlf",
        settings: &entries,
    };
    if a.json {
        print_json(&output);
    } else {
        crate::term::print(&show::new(&output.output, &entries));
    }
    Ok(0)
}

fn explain(a: &ExplainArgs) -> anyhow::Result<u8> {
    let name = a.name.join(" ");
    if name.trim().is_empty() {
        if a.json {
            print_json(&settings::all());
        } else {
            crate::term::print(&show::settings_list());
        }
        return Ok(0);
    }
    match settings::lookup(&name) {
        Some(def) => {
            if a.json {
                print_json(def);
            } else {
                crate::term::print(&def.describe());
            }
            Ok(0)
        }
        None => {
            let hint = settings::closest(&name).map(|d| format!(" Did you mean `{}`?", d.name)).unwrap_or_default();
            if a.json {
                print_json(&serde_json::json!({"schema_version": 1, "name": name, "known": false}));
            } else {
                anstream::println!(
                    "`{name}` is not a documented .rdp setting.{hint} `rdp-doctor rdpfile explain` lists them all."
                );
            }
            Ok(1)
        }
    }
}

/// `check FILE.rdp`: the server the file names, judged with the file's address for certificate
/// matching and the file's CredSSP setting for the negotiation; the file's lint findings join the report.
pub async fn check_file(args: &CheckArgs) -> anyhow::Result<u8> {
    let path = Path::new(&args.target);
    let shown_path = path.display().to_string();
    let bytes = files::read_bounded(path)?;
    let file = RdpFile::parse(&bytes);
    let start = Instant::now();
    let mut report = match check::plan(&file, args.port.unwrap_or(3389)) {
        Some(plan) => {
            let mut opts = args.probe.options()?;
            let mut limitations = plan.limitations;
            if let (Some(gw), None) = (&plan.gateway, &opts.gateway) {
                opts.gateway = Some(
                    rdp_doctor_probe::gateway::parse_gateway(gw)
                        .with_context(|| format!("{shown_path}: cannot use gatewayhostname {gw:?}"))?,
                );
            }
            if plan.credssp_off {
                if args.probe.protocols == DEFAULT_PROTOCOLS {
                    opts.requested = SecurityProtocol::PROTOCOL_SSL;
                } else {
                    limitations.push(format!(
                        "--protocols {} was used instead of what the file implies (TLS only).",
                        args.probe.protocols
                    ));
                }
            }
            let host = if plan.host.contains(':') { format!("[{}]", plan.host) } else { plan.host.clone() };
            let mut target = rdp_doctor_probe::parse_target(&host, plan.port)
                .with_context(|| format!("{shown_path}: cannot check host {:?}", plan.host))?;
            target.input = shown_path.clone();
            let evidence = rdp_doctor_probe::check(target, &opts).await;
            let mut report = rdp_doctor_core::report::build(evidence, start.elapsed().as_secs_f64() * 1000.0);
            report.limitations.extend(limitations);
            report
        }
        None => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
            let target = Target { input: shown_path.clone(), host: String::new(), port: 0, ip: None };
            let mut report = rdp_doctor_core::report::build(Evidence::new(target, now), 0.0);
            report
                .limitations
                .push("The file names no usable server (see the findings): nothing was probed.".to_owned());
            report
        }
    };
    let mut findings = rdp_doctor_rdpfile::lint(&file);
    findings.extend(check::cross_check(&file, &report));
    report.add_findings(findings);
    report.source_file = Some(file.source_file(&shown_path));
    let mut inputs = vec![path];
    inputs.extend(args.probe.password_file.as_deref());
    crate::render::emit(&report, &args.output, &inputs)
}
