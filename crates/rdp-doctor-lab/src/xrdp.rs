//! xrdp 0.9.21 servers with private configuration.
//!
//! # How xrdp is run
//!
//! `xrdp --nodaemon --config <dir>/xrdp.ini`:
//!
//! * `--nodaemon` keeps xrdp in the foreground as our direct child, so we
//!   know its PID, capture its output, and can stop it by PID. As a daemon
//!   it would fork away and write `/var/run/xrdp/xrdp.pid`, which would
//!   clash between instances and with a system xrdp.
//! * `--config` points at an ini file in the server's tempdir, with
//!   `port=tcp://127.0.0.1:<port>` (loopback, IPv4 only: the log says
//!   "mode 4"), `security_layer`, `certificate`, `key_file`, logging to a
//!   file in the tempdir plus the console (captured), no syslog.
//! * `fork=true`, as a real xrdp: each connection gets its own child process
//!   while the parent goes back to accepting. With `fork=false` the single
//!   process accepts slowly, its tiny listen backlog overflows and clients
//!   see SYNs dropped (one-second stalls) — an artefact of the lab, not
//!   something a diagnosis should report. The children stay in the parent's
//!   process group, which is what Drop signals, so nothing is left behind.
//! * xrdp-sesman is not started: the lab only exercises X.224, TLS and the
//!   start of MCS, which xrdp handles before it needs a session.
//!
//! # The pid file
//!
//! Even with `--nodaemon`, xrdp 0.9.21 refuses to start ("It looks like
//! xrdp is already running") when `/var/run/xrdp/xrdp.pid` exists, although
//! in that mode it never writes the file itself; so our instances do not
//! clash with each other, only with a running (or crashed) system xrdp
//! service. The path is compiled in. When the file exists we therefore
//! start xrdp via `unshare --mount` with an empty directory of ours
//! bind-mounted over `/var/run/xrdp` in that private mount namespace:
//! the system service and its pid file are left untouched, and the system
//! xrdp on port 3389 does not disturb us since we use our own ports.
//!
//! # Stopping
//!
//! SIGKILL straight away: xrdp's SIGTERM handler sleeps a second before
//! exiting and there is nothing to clean up (no pid file, no sesman).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::certs::{self, CertFiles};
use crate::process::{self, NotReady, Proc, StopMode};
use crate::tools::{require, require_root};
use crate::{LabError, LabServer, STARTUP_TIMEOUT, lab_tempdir};

/// The pid file compiled into the Debian xrdp 0.9.21 binary.
const XRDP_PID_FILE: &str = "/var/run/xrdp/xrdp.pid";
/// The certificate xrdp uses when `certificate=` is empty (a symlink to
/// the ssl-cert "snakeoil" certificate, CN = the host name at install
/// time, self-signed, valid for 10 years).
pub(crate) const XRDP_DEFAULT_CERT: &str = "/etc/xrdp/cert.pem";
/// Server RSA key for classic RDP security.
const XRDP_RSAKEYS: &str = "/etc/xrdp/rsakeys.ini";
/// Attempts with a fresh port when xrdp exits during start-up (another
/// process took the port between our check and xrdp's bind).
const ATTEMPTS: usize = 3;

/// Which xrdp configuration to run.
///
/// Replies to [`crate::X224_PROBE`] (requesting SSL|HYBRID|HYBRID_EX),
/// as observed with xrdp 0.9.21.1 on Debian 12:
///
/// * TLS variants (`Default`, `ExpiredCert`, `OtherNameCert`):
///   `03 00 00 13 0e d0 00 00 12 34 00 02 01 08 00 01 00 00 00`:
///   Connection Confirm (src-ref 0x1234), RDP_NEG_RSP, flags
///   EXTENDED_CLIENT_DATA_SUPPORTED, selected PROTOCOL_SSL.
/// * `RdpSecurityOnly`:
///   `03 00 00 13 0e d0 00 00 12 34 00 02 01 08 00 00 00 00 00`:
///   *not* an RDP_NEG_FAILURE: xrdp answers RDP_NEG_RSP selecting
///   PROTOCOL_RDP (0), i.e. "let's use classic RDP security", which a
///   client that insists on TLS/NLA must then refuse itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XrdpVariant {
    /// `security_layer=negotiate` with xrdp's default certificate
    /// (`/etc/xrdp/cert.pem`, the ssl-cert snakeoil certificate).
    Default,
    /// `security_layer=negotiate` with an rcgen certificate for
    /// `localhost` (CN and SAN) that expired yesterday.
    ExpiredCert,
    /// `security_layer=negotiate` with a valid rcgen certificate for
    /// `wrong.example.test` only.
    OtherNameCert,
    /// `security_layer=rdp`: classic RDP security, no TLS at all.
    RdpSecurityOnly,
    /// Default certificate, `ssl_protocols=TLSv1.2` only.
    Tls12Only,
    /// Default certificate, `ssl_protocols=TLSv1.3` only.
    Tls13Only,
    /// Default certificate, `ssl_protocols=TLSv1` with `tls_ciphers=DEFAULT:@SECLEVEL=0` (OpenSSL 3 refuses
    /// TLS 1.0 at its default security level): an old-server stand-in that speaks TLS 1.0 only.
    Tls10Only,
    /// Like `ExpiredCert`, but TLS 1.2 at most (`ssl_protocols=TLSv1.2`), as Windows Server 2019 and older
    /// listeners: the certificate then travels in the clear, so a capture shows it.
    ExpiredCertTls12,
}

impl XrdpVariant {
    /// Short name used for the server, its tempdir and its logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Default => "xrdp-default",
            Self::ExpiredCert => "xrdp-expired-cert",
            Self::OtherNameCert => "xrdp-other-name-cert",
            Self::RdpSecurityOnly => "xrdp-rdp-security-only",
            Self::Tls12Only => "xrdp-tls12-only",
            Self::Tls13Only => "xrdp-tls13-only",
            Self::Tls10Only => "xrdp-tls10-only",
            Self::ExpiredCertTls12 => "xrdp-expired-cert-tls12",
        }
    }
}

/// The name [`XrdpVariant::OtherNameCert`]'s certificate is issued for.
pub const OTHER_CERT_NAME: &str = "wrong.example.test";

/// Starts xrdp on a free 127.0.0.1 port and waits (at most
/// [`STARTUP_TIMEOUT`]) until it accepts TCP connections.
pub fn xrdp(variant: XrdpVariant) -> Result<LabServer, LabError> {
    start(variant, Path::new(XRDP_PID_FILE).exists())
}

/// Like [`xrdp`], but always through the `unshare --mount` wrapper that is
/// otherwise only used when a system xrdp's pid file exists. Lets the test
/// suite exercise that path without touching the system's pid file.
#[doc(hidden)]
pub fn xrdp_in_private_mount_ns(variant: XrdpVariant) -> Result<LabServer, LabError> {
    start(variant, true)
}

fn start(variant: XrdpVariant, private_run_dir: bool) -> Result<LabServer, LabError> {
    let started = Instant::now();
    let xrdp_bin = require("xrdp")?;
    // xrdp's key material in /etc/xrdp is readable by root only.
    require_root("starting xrdp")?;
    let wrapper = if private_run_dir { Some((require("unshare")?, require("mount")?)) } else { None };
    let name = variant.name();
    let dir = lab_tempdir(name)?;

    let cert = match variant {
        XrdpVariant::Default | XrdpVariant::Tls12Only | XrdpVariant::Tls13Only | XrdpVariant::Tls10Only => {
            need_file(name, XRDP_DEFAULT_CERT, "xrdp's default certificate (packages xrdp, ssl-cert)")?;
            None
        }
        XrdpVariant::ExpiredCert | XrdpVariant::ExpiredCertTls12 => Some(certs::expired_localhost(dir.path())?),
        XrdpVariant::OtherNameCert => Some(certs::valid_for(dir.path(), OTHER_CERT_NAME)?),
        XrdpVariant::RdpSecurityOnly => {
            need_file(name, XRDP_RSAKEYS, "xrdp's RSA keys (package xrdp)")?;
            None
        }
    };
    let security_layer = match variant {
        XrdpVariant::RdpSecurityOnly => "rdp",
        _ => "negotiate",
    };
    let (protocols, ciphers) = match variant {
        XrdpVariant::Tls12Only => ("TLSv1.2", ""),
        XrdpVariant::Tls13Only => ("TLSv1.3", ""),
        XrdpVariant::Tls10Only => ("TLSv1", "DEFAULT:@SECLEVEL=0"),
        XrdpVariant::ExpiredCertTls12 => ("TLSv1.2", ""),
        _ => ("TLSv1.2, TLSv1.3", ""),
    };
    let tls = TlsSettings { protocols, ciphers };
    let run_dir = dir.path().join("run");
    std::fs::create_dir(&run_dir).map_err(|e| LabError::io("creating run dir", e))?;

    let mut last_reason = String::new();
    let mut last_tail = String::new();
    for attempt in 1..=ATTEMPTS {
        let port = process::free_loopback_port()?;
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let ini = dir.path().join("xrdp.ini");
        let text = ini_text(port, security_layer, &tls, cert.as_ref(), &dir.path().join("xrdp-file.log"));
        certs::write_file(&ini, text.as_bytes(), 0o644)?;

        let mut cmd = match &wrapper {
            None => Command::new(&xrdp_bin),
            Some((unshare, mount)) => {
                // `exec` keeps the PID: unshare execs sh, sh execs xrdp.
                let mut c = Command::new(unshare);
                c.args(["--mount", "--propagation", "private", "sh", "-c"])
                    .arg(r#""$1" --bind "$2" /var/run/xrdp && shift 2 && exec "$@""#)
                    .arg("sh")
                    .arg(mount)
                    .arg(&run_dir)
                    .arg(&xrdp_bin);
                c
            }
        };
        cmd.arg("--nodaemon").arg("--config").arg(&ini).current_dir(dir.path());
        let log = dir.path().join(format!("xrdp.{attempt}.log"));
        let mut procs = vec![Proc::spawn(name, cmd, log, StopMode::Kill)?];
        match process::wait_for_port(&mut procs, addr, STARTUP_TIMEOUT) {
            Ok(()) => {
                return Ok(LabServer {
                    name: name.to_owned(),
                    addr,
                    display: None,
                    certificate: Some(cert.map_or_else(|| PathBuf::from(XRDP_DEFAULT_CERT), |c| c.cert))
                        .filter(|_| variant != XrdpVariant::RdpSecurityOnly),
                    startup: started.elapsed(),
                    procs,
                    dir,
                });
            }
            Err(NotReady::Exited(reason)) => {
                last_reason = format!("attempt {attempt}/{ATTEMPTS} on port {port}: {reason}");
                last_tail = process::logs_tail(&procs);
            }
            Err(NotReady::TimedOut) => {
                return Err(LabError::StartFailed {
                    server: name.to_owned(),
                    reason: format!("port {port} not accepting connections after {STARTUP_TIMEOUT:?}"),
                    log_tail: process::logs_tail(&procs),
                });
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(LabError::StartFailed { server: name.to_owned(), reason: last_reason, log_tail: last_tail })
}

fn need_file(server: &str, path: &str, what: &str) -> Result<(), LabError> {
    if Path::new(path).exists() {
        Ok(())
    } else {
        Err(LabError::StartFailed {
            server: server.to_owned(),
            reason: format!("{path} ({what}) is missing"),
            log_tail: String::new(),
        })
    }
}

/// The xrdp.ini for one instance. Only what X.224/TLS need, plus one
/// session section so a client that gets as far as the login screen sees
/// something sensible.
/// `ssl_protocols` and `tls_ciphers` of one instance.
struct TlsSettings {
    protocols: &'static str,
    ciphers: &'static str,
}

fn ini_text(port: u16, security_layer: &str, tls: &TlsSettings, cert: Option<&CertFiles>, file_log: &Path) -> String {
    let protocols = tls.protocols;
    let ciphers = tls.ciphers;
    let (cert, key) =
        cert.map_or((String::new(), String::new()), |c| (c.cert.display().to_string(), c.key.display().to_string()));
    format!(
        "\
[Globals]
ini_version=1
fork=true
port=tcp://127.0.0.1:{port}
tcp_nodelay=true
tcp_keepalive=true
security_layer={security_layer}
crypt_level=high
certificate={cert}
key_file={key}
ssl_protocols={protocols}
tls_ciphers={ciphers}
autorun=
allow_channels=true
max_bpp=32

[Logging]
LogFile={file_log}
LogLevel=DEBUG
EnableSyslog=false
EnableConsole=true
ConsoleLevel=DEBUG

[Xorg]
name=Xorg
lib=libxup.so
username=ask
password=ask
ip=127.0.0.1
port=-1
code=20
",
        file_log = file_log.display()
    )
}
