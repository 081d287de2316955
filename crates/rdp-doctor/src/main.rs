//! rdp-doctor: tells an administrator exactly why a Remote Desktop connection fails and what to do.
//!
//! The binary is thin: it parses arguments, runs the library's probes, builds the one report and hands it
//! to a renderer. It is the only place that prints. Exit codes: 0 = nothing at or above `--fail-on`,
//! 1 = findings at or above it, 2 = the tool itself failed (bad arguments, internal error); `nagios` uses
//! the Monitoring Plugins codes instead (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).

mod cli;
mod demo;
mod explain;
mod host;
mod input;
mod last;
mod nagios;
mod output;
mod password;
mod rdpfile;
mod render;
mod scan;
mod serve;
mod term;

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use cli::{Cli, Command};

/// Microsoft's mimalloc instead of the C library's allocator. `capture` allocates and frees per connection on
/// three threads (reader, analyser, reporter), and the reporter frees what the analyser allocated: with
/// glibc's malloc the arena locks and `malloc_consolidate` were ~18 % of the analyser thread, and the 1.1 GB
/// bench (bench/capture.sh) took 1.00-1.08 s; with mimalloc 0.63-0.69 s, peak memory 59 -> ~105 MB (still
/// the same for a file four times smaller: bounded by the connections open at once). mimalloc's v2 series
/// was 0.68-0.76 s at ~78 MB. On Windows it replaces the process heap the same way.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse_from(scan::normalise_args(std::env::args_os())) {
        Ok(c) => c,
        Err(e) if e.use_stderr() && plugin_mode() => {
            // The plugin's own failure is UNKNOWN (3), with a status line a monitoring system can show.
            print!("{}", rdp_doctor_monitor::nagios::unknown(&e.to_string().replace("error: ", "")));
            return ExitCode::from(rdp_doctor_monitor::nagios::Status::Unknown.code());
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    cli.color.write_global();
    // A scan uses every core; everything else runs on one thread.
    let runtime = if matches!(cli.command, Command::Scan(_)) {
        tokio::runtime::Builder::new_multi_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rdp-doctor: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(run(cli));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("rdp-doctor: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Whether the command line asks for the plugin mode (`rdp-doctor [--color …] nagios …`).
fn plugin_mode() -> bool {
    std::env::args().skip(1).take(3).any(|a| a == "nagios")
}

async fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Check(args) if rdpfile::is_rdp_file(&args.target) => rdpfile::check_file(&args).await,
        Command::Check(args) => {
            let target = rdp_doctor_probe::parse_target(&args.target, args.port.unwrap_or(3389))?;
            let opts = args.probe.options()?;
            let host = args.host.as_deref().map(host::load_for_check).transpose()?;
            let start = Instant::now();
            let mut evidence = rdp_doctor_probe::check(target, &opts).await;
            evidence.host = host;
            let report = rdp_doctor_core::report::build(evidence, start.elapsed().as_secs_f64() * 1000.0);
            let inputs: Vec<&std::path::Path> = args.probe.password_file.as_deref().into_iter().collect();
            render::emit(&report, &args.output, &inputs)
        }
        Command::Host(args) => host::run(&args),
        Command::Last(args) => last::run(&args).await,
        Command::Demo(args) => demo::run(&args).await,
        Command::Serve(args) => serve::run(&args).await,
        Command::Nagios(args) => Ok(nagios::run(&args).await),
        Command::Scan(args) => scan::run(&args).await,
        Command::Diff(args) => scan::diff::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Rdpfile(cmd) => rdpfile::run(cmd),
        Command::Capture(args) => {
            let keylog = match &args.keylog {
                Some(path) => Some(read_keylog(path)?),
                None => None,
            };
            let opts =
                rdp_doctor_pcap::Options { ports: args.ports.clone(), max_listed: args.max_listed.max(1), keylog };
            let file = input::open(&args.file, "the capture")?;
            // Read and framed on a second thread, so reading and dissecting use both cores.
            let report = rdp_doctor_pcap::analyse(file, &args.file.display().to_string(), &opts)?;
            let mut inputs = vec![args.file.as_path()];
            inputs.extend(args.keylog.as_deref());
            render::emit_capture(&report, &args.output, &inputs)
        }
    }
}

/// Reads an NSS key log file, bounded by [`rdp_doctor_pcap::keylog::MAX_KEYLOG_BYTES`].
fn read_keylog(path: &std::path::Path) -> anyhow::Result<rdp_doctor_pcap::keylog::KeyLog> {
    use anyhow::Context;
    use std::io::Read;
    let file = crate::input::open(path, "the key log")?;
    let mut text = Vec::new();
    file.take(rdp_doctor_pcap::keylog::MAX_KEYLOG_BYTES as u64)
        .read_to_end(&mut text)
        .with_context(|| format!("cannot read the key log {}", path.display()))?;
    let mut keys = rdp_doctor_pcap::keylog::KeyLog::default();
    keys.add_text(&text, &format!("the key log {}", path.display()));
    if keys.is_empty() {
        anyhow::bail!(
            "{} contains no TLS secrets (expected NSS key log lines: CLIENT_RANDOM or CLIENT_TRAFFIC_SECRET_0 …)",
            path.display()
        );
    }
    Ok(keys)
}
