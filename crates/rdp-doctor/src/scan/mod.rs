//! `rdp-doctor scan` and `rdp-doctor diff`: the fleet scheduler (`rdp-doctor-scan`) wired to files,
//! standard output, the progress bar and the summary.

mod args;
pub mod diff;
mod progress;
mod render;

use std::io::Write as _;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use rdp_doctor_core::policy::Policy;
use rdp_doctor_probe::CheckOptions;
use rdp_doctor_scan::output::{CsvOut, JsonlWriter};
use rdp_doctor_scan::summary::{PolicyTally, ScanSummary};
use rdp_doctor_scan::{ScanOptions, TargetArgs};

use crate::cli::Format;
use std::path::PathBuf;

pub use args::{Progress, ScanArgs, normalise_args};

/// Runs `scan`; returns the exit code.
pub async fn run(args: &ScanArgs) -> anyhow::Result<u8> {
    if args.list_policies {
        print!("{}", render::policies());
        return Ok(0);
    }
    let policy = args.policy.as_deref().map(load_policy).transpose()?;
    let gateway = args.gateway.as_deref().map(rdp_doctor_probe::gateway::parse_gateway).transpose()?;
    let targets_args = TargetArgs {
        positional: args.targets.clone(),
        lists: args.lists.clone(),
        exclude: args.exclude.clone(),
        exclude_files: args.excludefile.clone(),
        default_port: args.port,
        allow_large: args.allow_large,
        gateway,
    };
    let mut set = rdp_doctor_scan::collect(&targets_args, &mut std::io::stdin().lock())?;
    for m in &set.malformed {
        eprintln!("rdp-doctor: skipped {m}");
    }
    if args.strict && !set.malformed.is_empty() {
        bail!("{} malformed target line(s) (--strict)", set.malformed.len());
    }
    let check = CheckOptions {
        timeout: args.timeout,
        requested: crate::cli::parse_protocols(&args.protocols)?,
        direct_dns: !args.no_direct_dns,
        matrix: !args.no_matrix,
        deep: args.deep,
        // The default depth is the credential-free chain: no quality series, no UDP probe.
        samples: 0,
        udp_tries: 0,
        credentials: None,
        ..CheckOptions::default()
    };
    if let Some(file) = &args.make_policy {
        return make_policy(file, &set.targets, check, args).await;
    }
    if let Some(s) = &args.shard {
        let shard = rdp_doctor_scan::shard::Shard::parse(s).map_err(anyhow::Error::msg)?;
        set.targets.retain(|t| shard.holds(&t.host_key()));
    }
    let mut resumed = 0;
    if let Some(file) = &args.resume {
        let done = rdp_doctor_scan::resume::prepare(file)
            .with_context(|| format!("cannot read the stopped scan's output {}", file.display()))?;
        if done.truncated_bytes > 0 {
            eprintln!(
                "rdp-doctor: removed a cut-off last line ({} bytes) from {}",
                done.truncated_bytes,
                file.display()
            );
        }
        let before = set.targets.len();
        set.targets.retain(|t| !done.keys.contains(&t.key()));
        resumed = before - set.targets.len();
    }
    if set.targets.is_empty() && resumed == 0 {
        bail!("no targets: give HOST[:PORT], a CIDR range, -iL FILE or .rdp files");
    }

    let format = if args.json { Format::Json } else { args.format };
    let page = matches!(format, Format::Html | Format::Markdown);
    if page && args.resume.is_some() {
        bail!("--resume continues a JSONL scan; a page needs every host of one run (render a fresh scan)");
    }
    if page && set.targets.len() > MAX_PAGE_HOSTS {
        bail!(
            "{} targets: a {} page holds at most {MAX_PAGE_HOSTS} hosts (write JSONL, or split the list with --shard)",
            set.targets.len(),
            if format == Format::Html { "HTML" } else { "Markdown" }
        );
    }
    // Nothing is written over what the scan reads.
    let mut inputs: Vec<&std::path::Path> = args.lists.iter().chain(&args.excludefile).map(PathBuf::as_path).collect();
    inputs.extend(args.targets.iter().map(std::path::Path::new).filter(|p| p.exists()));
    for out in [args.output.as_deref(), args.jsonl.as_deref(), args.csv.as_deref(), args.summary_json.as_deref()]
        .into_iter()
        .flatten()
    {
        crate::output::guard(out, &inputs)?;
    }
    let out_path = match format {
        Format::Json => args.output.as_ref().or(args.resume.as_ref()),
        _ => args.jsonl.as_ref(),
    };
    let jsonl_to_stdout = format == Format::Json && out_path.is_none();
    let mut jsonl: JsonlWriter<Box<dyn std::io::Write>> = JsonlWriter::new(match out_path {
        None if !jsonl_to_stdout => Box::new(std::io::sink()),
        Some(p) => Box::new(
            std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(args.resume.is_some())
                .truncate(args.resume.is_none())
                .open(p)
                .with_context(|| format!("cannot write {}", p.display()))?,
        ),
        None => Box::new(std::io::stdout()),
    });
    let mut csv = match &args.csv {
        Some(p) if args.resume.is_some() && p.exists() => Some(CsvOut::append(open_append(p)?)),
        Some(p) => {
            Some(CsvOut::new(std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?)?)
        }
        None => None,
    };

    let mut summary = ScanSummary {
        policy: policy.as_ref().map(|p| PolicyTally { name: p.name.clone(), ..PolicyTally::default() }),
        ..ScanSummary::default()
    };
    let threshold = args.fail_on.threshold();
    let mut exit = 0u8;
    let mut write_error: Option<std::io::Error> = None;
    let total = set.targets.len();
    let bar = progress::Bar::new(total as u64, args.progress);
    let opts = ScanOptions {
        check,
        concurrency: args.concurrency as usize,
        max_rate: args.max_rate,
        host_timeout: args.host_timeout,
        judge: policy.map(|p| {
            let p = Arc::new(p);
            Arc::new(move |r: &mut rdp_doctor_core::Report| rdp_doctor_core::policy::apply(&p, r))
                as rdp_doctor_scan::schedule::Judge
        }),
    };
    let start = Instant::now();
    let started_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let mut kept: Vec<rdp_doctor_core::Report> = Vec::new();
    rdp_doctor_scan::run(set.targets, &opts, |result| {
        if let Err(e) = jsonl.write_line(&result.line) {
            write_error = Some(e);
            return false;
        }
        if let Some(c) = csv.as_mut()
            && let Err(e) = c.write(&result.report)
        {
            write_error = Some(e);
            return false;
        }
        summary.add(&result.report);
        exit = exit.max(u8::try_from(result.report.exit_code(threshold)).unwrap_or(2));
        bar.add(&result.report);
        if page {
            kept.push(rdp_doctor_render::html::for_fleet(result.report));
        }
        true
    })
    .await;
    bar.finish();
    let elapsed = start.elapsed().as_secs_f64();
    summary.duration_s = elapsed;
    summary.rate_per_s = if elapsed > 0.0 { summary.hosts as f64 / elapsed } else { 0.0 };
    if let Some(e) = write_error {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Ok(exit);
        }
        return Err(anyhow::Error::new(e).context("cannot write the scan's output"));
    }
    if let Some(p) = &args.summary_json {
        let text = serde_json::to_string_pretty(&summary).context("cannot serialise the summary")?;
        std::fs::write(p, text + "\n").with_context(|| format!("cannot write {}", p.display()))?;
    }
    if page {
        let mut limitations: Vec<String> = set.malformed.iter().map(|m| format!("skipped {m}")).collect();
        if set.excluded > 0 {
            limitations.push(format!("{} target(s) excluded", set.excluded));
        }
        let meta = rdp_doctor_render::ScanMeta {
            name: scan_name(args),
            started_unix: Some(started_unix),
            duration_s: Some(elapsed),
            limitations,
        };
        let body = match format {
            Format::Html => rdp_doctor_render::html::scan(&kept, &meta),
            _ => rdp_doctor_render::markdown::scan(&kept, &meta),
        };
        crate::output::write(args.output.as_deref(), &inputs, |w| w.write_all(body.as_bytes()))?;
    }
    if format == Format::Text {
        let text = crate::render::terminal_safe(&render::summary(
            &summary,
            &set.malformed,
            set.duplicates,
            set.excluded,
            resumed,
        ));
        match &args.output {
            None => {
                let _ = anstream::stdout().write_all(text.as_bytes());
            }
            Some(p) => {
                let plain = anstream::adapter::strip_str(&text).to_string();
                crate::output::write(Some(p), &inputs, |w| w.write_all(plain.as_bytes()))?;
            }
        }
    } else if !args.no_summary {
        let text = crate::render::terminal_safe(&render::summary(
            &summary,
            &set.malformed,
            set.duplicates,
            set.excluded,
            resumed,
        ));
        // The JSONL (or the page) owns standard output unless it went to a file.
        if args.output.is_some() || args.resume.is_some() {
            let _ = anstream::stdout().write_all(text.as_bytes());
        } else {
            let _ = anstream::stderr().write_all(text.as_bytes());
        }
    }
    Ok(exit)
}

/// Most hosts a page holds (they are kept, slimmed, until the scan ends).
const MAX_PAGE_HOSTS: usize = 20_000;

/// What was scanned, in words, for the page.
fn scan_name(args: &ScanArgs) -> String {
    let mut parts: Vec<String> = args.targets.iter().take(5).cloned().collect();
    if args.targets.len() > 5 {
        parts.push(format!("… {} more", args.targets.len() - 5));
    }
    parts.extend(args.lists.iter().map(|p| format!("-iL {}", p.display())));
    parts.join(", ")
}

fn open_append(p: &std::path::Path) -> anyhow::Result<std::fs::File> {
    std::fs::OpenOptions::new().append(true).open(p).with_context(|| format!("cannot write {}", p.display()))
}

/// A built-in policy by name, else a TOML file.
fn load_policy(arg: &str) -> anyhow::Result<Policy> {
    if let Some(p) = rdp_doctor_core::policy::builtin(arg) {
        return Ok(p);
    }
    let path = std::path::Path::new(arg);
    if !path.exists() {
        let names: Vec<&str> = rdp_doctor_core::policy::BUILTIN.iter().map(|(n, _)| *n).collect();
        bail!("no built-in policy or file called {arg:?} (built-in: {})", names.join(", "));
    }
    let bytes = crate::rdpfile::files::read_bounded(path)?;
    let text = String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))?;
    Policy::from_toml(&text).with_context(|| format!("in {}", path.display()))
}

/// `--make-policy FILE HOST`: check one known-good host and write a policy it meets.
async fn make_policy(
    file: &std::path::Path,
    targets: &[rdp_doctor_scan::TargetSpec],
    check: CheckOptions,
    args: &ScanArgs,
) -> anyhow::Result<u8> {
    let [spec] = targets else { bail!("--make-policy needs exactly one target (the known-good server)") };
    let opts = ScanOptions { check, concurrency: 1, max_rate: None, host_timeout: args.host_timeout, judge: None };
    let result = rdp_doctor_scan::schedule::check_one(spec, &opts).await;
    let Some(facts) = result.report.scan.as_ref().map(|s| &s.facts).filter(|f| f.reached) else {
        bail!("{} was not reached ({}): a policy needs a server that answers", spec.input(), result.report.verdict);
    };
    let name = file.file_stem().map_or_else(|| "baseline".to_owned(), |s| s.to_string_lossy().into_owned());
    let policy = Policy::from_facts(&name, &spec.input(), facts);
    crate::rdpfile::files::write_atomic(file, policy.to_toml().as_bytes(), None, true)?;
    print!("{}", render::made_policy(&policy, file, &result.report));
    Ok(0)
}
