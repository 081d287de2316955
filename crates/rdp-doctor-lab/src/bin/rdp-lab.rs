//! `rdp-lab SERVER [SECONDS]`: starts one lab server on loopback, prints its address, and stops it after
//! SECONDS (default 300) or when standard input closes, whichever comes first. For trying rdp-doctor by
//! hand against real servers: `cargo run -p rdp-doctor-lab --bin rdp-lab -- xrdp-default`.
//!
//! SERVER: xrdp-default | xrdp-expired-cert | xrdp-other-name-cert | xrdp-rdp-security-only | shadow-nla |
//! shadow-tls. The shadow-nla server accepts user `alice`, password `S3cret-pw`.

#[cfg(unix)]
use std::io::Read;
use std::process::ExitCode;
#[cfg(unix)]
use std::sync::mpsc;
#[cfg(unix)]
use std::time::Duration;

#[cfg(unix)]
use rdp_doctor_lab::{ShadowVariant, XrdpVariant};

/// The lab's servers are Linux programs.
#[cfg(not(unix))]
fn main() -> ExitCode {
    eprintln!("rdp-lab: the lab runs on Linux only");
    ExitCode::FAILURE
}

#[cfg(unix)]
fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_default();
    let secs: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(300).min(3600);
    let server = match which.as_str() {
        "xrdp-default" => rdp_doctor_lab::xrdp(XrdpVariant::Default),
        "xrdp-expired-cert" => rdp_doctor_lab::xrdp(XrdpVariant::ExpiredCert),
        "xrdp-other-name-cert" => rdp_doctor_lab::xrdp(XrdpVariant::OtherNameCert),
        "xrdp-rdp-security-only" => rdp_doctor_lab::xrdp(XrdpVariant::RdpSecurityOnly),
        "xrdp-tls12-only" => rdp_doctor_lab::xrdp(XrdpVariant::Tls12Only),
        "xrdp-tls13-only" => rdp_doctor_lab::xrdp(XrdpVariant::Tls13Only),
        "xrdp-tls10-only" => rdp_doctor_lab::xrdp(XrdpVariant::Tls10Only),
        "shadow-nla" => {
            rdp_doctor_lab::shadow(ShadowVariant::Nla { user: "alice".into(), password: "S3cret-pw".into() })
        }
        "shadow-tls" => rdp_doctor_lab::shadow(ShadowVariant::Tls),
        "shadow-rdp" => rdp_doctor_lab::shadow(ShadowVariant::Rdp),
        _ => {
            eprintln!(
                "usage: rdp-lab xrdp-default|xrdp-expired-cert|xrdp-other-name-cert|xrdp-rdp-security-only|xrdp-tls12-only|xrdp-tls13-only|xrdp-tls10-only|shadow-nla|shadow-tls|shadow-rdp [SECONDS]"
            );
            return ExitCode::from(2);
        }
    };
    let server = match server {
        Ok(s) => s,
        Err(e) => {
            eprintln!("rdp-lab: {e}");
            return ExitCode::from(1);
        }
    };
    println!("{}", server.addr);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
        let _ = tx.send(());
    });
    let _ = rx.recv_timeout(Duration::from_secs(secs));
    drop(server);
    ExitCode::SUCCESS
}
