//! The HTTP server of `rdp-doctor serve`: blackbox_exporter's multi-target pattern.
//!
//! - `GET /probe?target=HOST[:PORT]&module=NAME[&hostname=TLS-NAME][&debug=true]`: one probe, its metrics
//!   (a fresh registry each time, [`crate::metrics`]); `debug=true` returns the text report instead.
//! - `GET /metrics`: the exporter's own metrics; `GET /-/healthy`; `POST /-/reload` (also SIGHUP).
//!
//! Order of checks for a probe, before any packet goes to the target: parameters (400), module (400),
//! allowlist on the target as given (403), bounds on probes in flight (503), then the lookup and the
//! allowlist on the resolved addresses (403). Credentials come from the module only; a request that tries
//! to pass any is refused (400). The deadline is Prometheus' `X-Prometheus-Scrape-Timeout-Seconds` less a
//! margin, capped by the module's `timeout`.

mod admission;
mod own;
mod workers;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rdp_doctor_core::Report;

pub use admission::{Admission, Busy};
pub use own::{OutcomeKind, OwnMetrics};
pub use workers::{Job, WorkerGone, Workers};

use crate::config::{self, Config, ConfigError};
use crate::metrics::{self, ProbeContext};
use crate::probe;

/// The default listening address: loopback only; `--listen` opens it wider on purpose.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9733";

/// Taken off Prometheus' scrape timeout so the answer arrives before Prometheus gives up (blackbox's
/// `--timeout-offset`).
pub const SCRAPE_MARGIN: Duration = Duration::from_millis(500);

/// How long a graceful shutdown waits for probes in flight before the process ends anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Threads the probes run on (each runs many probes at once; they wait on the network).
pub const WORKER_THREADS: usize = 2;

/// Parameters that would carry credentials: refused, credentials live in the configuration only.
const CREDENTIAL_PARAMS: &[&str] = &["user", "username", "password", "pass", "passwd", "credentials", "password_file"];

/// What the binary hands the server.
#[derive(Clone)]
pub struct ServeOptions {
    pub config_path: PathBuf,
    pub listen: SocketAddr,
    /// The text report for `debug=true` (the binary owns the text renderer).
    pub debug_render: fn(&Report) -> String,
    /// Where the server's log lines go (the binary prints them to stderr).
    pub log: fn(&str),
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

/// Shared by every request.
struct Shared {
    opts: ServeOptions,
    config: RwLock<Arc<Config>>,
    admission: Admission,
    own: OwnMetrics,
    workers: Workers,
}

impl Shared {
    fn config(&self) -> Arc<Config> {
        match self.config.read() {
            Ok(c) => Arc::clone(&c),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Re-reads the configuration file; the running one stays when the new one is refused.
    fn reload(&self) -> Result<(), ConfigError> {
        match config::load(&self.opts.config_path) {
            Ok(new) => {
                self.admission.set_limits(new.limits);
                let n = new.modules.len();
                match self.config.write() {
                    Ok(mut c) => *c = Arc::new(new),
                    Err(poisoned) => *poisoned.into_inner() = Arc::new(new),
                }
                self.own.reloaded(true);
                (self.opts.log)(&format!("configuration reloaded: {n} module(s)"));
                Ok(())
            }
            Err(e) => {
                self.own.reloaded(false);
                (self.opts.log)(&format!("configuration reload refused, the running one stays: {e}"));
                Err(e)
            }
        }
    }
}

/// A bound, not yet serving exporter.
pub struct Server {
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
}

impl Server {
    /// Loads the configuration and binds the listening socket.
    pub async fn bind(opts: ServeOptions) -> Result<Self, ServeError> {
        let config = config::load(&opts.config_path)?;
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .map_err(|source| ServeError::Bind { addr: opts.listen, source })?;
        let own = OwnMetrics::new();
        own.reloaded(true);
        let shared = Arc::new(Shared {
            admission: Admission::new(config.limits),
            config: RwLock::new(Arc::new(config)),
            own,
            workers: Workers::start(WORKER_THREADS, opts.log),
            opts,
        });
        Ok(Self { listener, shared })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until `shutdown` completes, then stops accepting, lets probes in flight finish (at most
    /// [`SHUTDOWN_GRACE`]) and returns.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> Result<(), ServeError> {
        #[cfg(unix)]
        spawn_sighup_reload(Arc::clone(&self.shared));
        let log = self.shared.opts.log;
        let app = router(Arc::clone(&self.shared));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let signalled = async move {
            shutdown.await;
            log("shutting down: no new connections; waiting for probes in flight");
            let _ = tx.send(());
        };
        let serve = axum::serve(self.listener, app).with_graceful_shutdown(signalled);
        let bounded = async move {
            let _ = rx.await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        };
        tokio::select! {
            r = serve => r.map_err(ServeError::Serve),
            () = bounded => {
                log("shutdown grace period over; probes still in flight are abandoned");
                Ok(())
            }
        }
    }
}

/// SIGTERM or SIGINT (Ctrl-C); on Windows, Ctrl-C and Ctrl-Break.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(unix)]
fn spawn_sighup_reload(shared: Arc<Shared>) {
    use tokio::signal::unix::{SignalKind, signal};
    if let Ok(mut hup) = signal(SignalKind::hangup()) {
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                let _ = shared.reload();
            }
        });
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/probe", get(probe_handler))
        .route("/metrics", get(own_metrics))
        .route("/-/healthy", get(|| async { "Healthy\n" }))
        .route("/-/reload", post(reload))
        .with_state(shared)
}

async fn index() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "rdp-doctor exporter\n\n\
         GET  /probe?target=HOST[:PORT]&module=NAME[&hostname=TLS-NAME][&debug=true]\n\
         GET  /metrics     the exporter's own metrics\n\
         GET  /-/healthy\n\
         POST /-/reload    re-read the configuration file\n",
    )
}

async fn own_metrics(State(shared): State<Arc<Shared>>) -> Response {
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], shared.own.encode()).into_response()
}

async fn reload(State(shared): State<Arc<Shared>>) -> Response {
    match shared.reload() {
        Ok(()) => (StatusCode::OK, "OK\n").into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}

fn text(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// Decrements a gauge on drop.
struct InFlight(prometheus_client::metrics::gauge::Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        let _ = self.0.dec();
    }
}

async fn probe_handler(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let started = Instant::now();
    let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let config = shared.config();
    let bad = |module: &str, msg: String| {
        shared.own.probe_done(module, OutcomeKind::BadRequest, None);
        text(StatusCode::BAD_REQUEST, format!("{msg}\n"))
    };
    if let Some((k, _)) = params.iter().find(|(k, _)| CREDENTIAL_PARAMS.contains(&k.to_ascii_lowercase().as_str())) {
        return bad(
            "-",
            format!("parameter {k:?} refused: credentials are taken from the module's configuration only"),
        );
    }
    let module_name = param("module").unwrap_or("rdp");
    let Some(module) = config.modules.get(module_name) else {
        let known: Vec<&str> = config.modules.keys().map(String::as_str).collect();
        return bad("-", format!("unknown module {module_name:?} (configured: {})", known.join(", ")));
    };
    let Some(target_text) = param("target").filter(|t| !t.is_empty()) else {
        return bad(&module.name, "target parameter is missing".to_owned());
    };
    let hostname = param("hostname").filter(|h| !h.is_empty());
    let debug = param("debug").is_some_and(|d| d.eq_ignore_ascii_case("true") || d == "1");
    let refused = |e: probe::Refused| {
        let (status, kind) = if e.is_forbidden() {
            (StatusCode::FORBIDDEN, OutcomeKind::Forbidden)
        } else {
            (StatusCode::BAD_REQUEST, OutcomeKind::BadRequest)
        };
        shared.own.probe_done(&module.name, kind, None);
        text(status, format!("{e}\n"))
    };
    if let Some(h) = hostname
        && let Err(e) = probe::check_hostname(h)
    {
        return refused(e);
    }
    let target = match probe::admit(target_text, module) {
        Ok(t) => t,
        Err(e) => return refused(e),
    };
    let scrape_timeout = headers
        .get("X-Prometheus-Scrape-Timeout-Seconds")
        .and_then(|v| v.to_str().ok())
        .and_then(probe::parse_scrape_timeout);
    let budget = probe::deadline(scrape_timeout, SCRAPE_MARGIN, module);
    // A probe that waited more than half its deadline for a slot could not finish in time: 503 instead.
    let wait_until = started + budget / 2;
    let overloaded = |e: Busy| {
        shared.own.probe_done(&module.name, OutcomeKind::Overloaded, None);
        text(StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n"))
    };
    let key = format!("{}:{}", target.host.to_ascii_lowercase(), target.port);
    let target_guard = match shared.admission.enter_target(&key) {
        Ok(g) => g,
        Err(e) => return overloaded(e),
    };
    let pending = &shared.own.pending;
    let slot = match shared
        .admission
        .slot(wait_until, |d| {
            let _ = if d > 0 { pending.inc() } else { pending.dec() };
        })
        .await
    {
        Ok(p) => p,
        Err(e) => return overloaded(e),
    };
    let _ = shared.own.in_flight.inc();
    let in_flight = InFlight(shared.own.in_flight.clone());
    let job = Job {
        config: Arc::clone(&config),
        module: module.name.clone(),
        target,
        hostname: hostname.map(str::to_owned),
        started,
        budget,
        hold: Box::new((target_guard, slot, in_flight)),
    };
    let run = match shared.workers.run(job).await {
        Ok(Ok(run)) => run,
        Ok(Err(e)) => return refused(e),
        Err(e) => return text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
    };
    let success = metrics::probe_success(&run.report, &run.context);
    let body = metrics::render(&run.report, &run.context);
    let kind = if success { OutcomeKind::Success } else { OutcomeKind::Failure };
    shared.own.probe_done(&module.name, kind, Some(started.elapsed().as_secs_f64()));
    if debug {
        return text(StatusCode::OK, debug_body(&shared.opts, &run.report, &run.context, module, &body));
    }
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], body).into_response()
}

fn debug_body(
    opts: &ServeOptions,
    report: &Report,
    ctx: &ProbeContext,
    module: &config::Module,
    metrics: &str,
) -> String {
    format!(
        "Report of the probe:\n\n{}\nMetrics that would have been returned:\n{metrics}\nModule configuration:\n{}\n\
         Deadline: {} ms{}\n",
        (opts.debug_render)(report),
        module.describe(),
        ctx.deadline.map_or(0, |d| d.as_millis()),
        if ctx.deadline_exceeded { " (exceeded)" } else { "" }
    )
}
