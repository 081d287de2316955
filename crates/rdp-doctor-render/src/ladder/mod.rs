//! Ladder (sequence) diagrams: who sent what, when, and where it broke, read from the report's evidence.
//! One model, two drawings: SVG in HTML (`html/svg.rs`), a compact text ladder in Markdown.
//!
//! Live checks: the main connection from the TCP attempts, X.224, TLS and CredSSP evidence (each step's
//! measured duration placed after the previous one on that connection), the credentialed run from its
//! recorded steps (`session.steps[].at_ms`), an RD Gateway from its probe and tunnel steps. Captures: the
//! connection's timeline (`evidence.capture.phases`), its silences (`stalls`), ICMP errors and end. What an
//! arrow says is what the evidence says; nothing is judged here — the failing step is the one the report's
//! first failing layer (or its verdict's layer) points at.

mod capture;
mod live;
mod session;

pub use capture::capture;
pub use live::live;

use rdp_doctor_core::{Report, Severity};

/// A participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    Client,
    Gateway,
    Server,
}

/// How an arrow is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Normal,
    /// Sent again (a retransmitted SYN, a resent datagram).
    Retransmit,
    /// A TLS alert, an error code, a refusal.
    Alert,
    /// FIN or close.
    Close,
    /// RST.
    Reset,
}

/// How much an arrow matters for the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mark {
    None,
    Warn,
    Fail,
}

/// One row of a ladder.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    /// An arrow from one lane to another.
    Message { at_ms: Option<f64>, from: Lane, to: Lane, label: String, style: Style, mark: Mark },
    /// A request that got no answer: drawn from `from` towards `to`, ending in the middle.
    NoAnswer { at_ms: Option<f64>, from: Lane, to: Lane, label: String, mark: Mark },
    /// A silence on the connection (drawn as a break in the lanes).
    Gap { at_ms: f64, idle_ms: f64, label: String, mark: Mark },
    /// A remark under a lane (or across the ladder with `None`).
    Note { at_ms: Option<f64>, lane: Option<Lane>, label: String },
}

impl Row {
    pub fn at_ms(&self) -> Option<f64> {
        match self {
            Self::Message { at_ms, .. } | Self::NoAnswer { at_ms, .. } | Self::Note { at_ms, .. } => *at_ms,
            Self::Gap { at_ms, .. } => Some(*at_ms),
        }
    }

    pub fn mark(&self) -> Mark {
        match self {
            Self::Message { mark, .. } | Self::NoAnswer { mark, .. } | Self::Gap { mark, .. } => *mark,
            Self::Note { .. } => Mark::None,
        }
    }

    fn mark_mut(&mut self) -> Option<&mut Mark> {
        match self {
            Self::Message { mark, .. } | Self::NoAnswer { mark, .. } | Self::Gap { mark, .. } => Some(mark),
            Self::Note { .. } => None,
        }
    }
}

/// A whole diagram.
#[derive(Debug, Clone, PartialEq)]
pub struct Ladder {
    pub title: String,
    /// The lanes in order, with their labels ("rdp-doctor", "127.0.0.1:3389").
    pub lanes: Vec<(Lane, String)>,
    pub rows: Vec<Row>,
    /// How to read the times ("since the first packet", "each step's measured duration, in order").
    pub time_note: String,
    /// Facts about the whole connection the arrows cannot show (retransmission counts, truncation).
    pub notes: Vec<String>,
}

impl Ladder {
    pub fn has_lane(&self, lane: Lane) -> bool {
        self.lanes.iter().any(|(l, _)| *l == lane)
    }
}

/// The layer a row belongs to, for highlighting: set by the builders while they add rows.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    pub rows: Vec<Row>,
    pub layers: Vec<&'static str>,
}

impl Builder {
    pub fn push(&mut self, layer: &'static str, row: Row) {
        self.rows.push(row);
        self.layers.push(layer);
    }

    pub fn msg(&mut self, layer: &'static str, at_ms: Option<f64>, from: Lane, to: Lane, label: String, style: Style) {
        self.push(layer, Row::Message { at_ms, from, to, label, style, mark: Mark::None });
    }

    /// Marks the step where the report says it broke, in the first failing layer (else, as a warning, in
    /// the layer of the verdict's finding): a finding about the certificate marks the Certificate message;
    /// otherwise the layer's first refusal (alert, error, reset), else its last answer (or missing answer).
    pub fn highlight(&mut self, r: &Report) {
        let (layer, mark) = match r.first_failing_layer {
            Some(l) => (l.as_str(), Mark::Fail),
            None => match r.findings.iter().find(|f| f.id == r.verdict) {
                Some(f) if f.severity >= Severity::Warn => (f.layer, Mark::Warn),
                _ => return,
            },
        };
        let verdict_is_cert = r.verdict.starts_with("cert.");
        let candidates: Vec<usize> = (0..self.rows.len()).filter(|&i| self.layers.get(i) == Some(&layer)).collect();
        let by_label = |i: &usize, what: &str| match self.rows.get(*i) {
            Some(Row::Message { label, .. }) => label.contains(what),
            _ => false,
        };
        let pick = candidates
            .iter()
            .rev()
            .find(|i| verdict_is_cert && by_label(i, "Certificate"))
            // The first refusal: what follows it (a Set Error Info's Disconnect Provider Ultimatum, the RST
            // after an alert) is its consequence.
            .or_else(|| {
                candidates.iter().find(|i| {
                    matches!(self.rows.get(**i), Some(Row::Message { style: Style::Alert | Style::Reset, .. }))
                })
            })
            .or_else(|| {
                candidates.iter().rev().find(|i| {
                    matches!(
                        self.rows.get(**i),
                        Some(
                            Row::Message { from: Lane::Server | Lane::Gateway, .. }
                                | Row::NoAnswer { .. }
                                | Row::Gap { .. }
                        )
                    )
                })
            })
            .or(candidates.last())
            .copied();
        if let Some(m) = pick.and_then(|i| self.rows.get_mut(i)).and_then(Row::mark_mut) {
            *m = mark;
        }
    }
}

/// A compact text ladder for Markdown and terminals: one line per row, `C -> S` arrows, times on the left,
/// the failing step marked. Every label is one line of literal text (for a fenced code block).
pub fn text(l: &Ladder) -> String {
    use std::fmt::Write as _;
    let short = |lane: Lane| match lane {
        Lane::Client => "C",
        Lane::Gateway => "G",
        Lane::Server => "S",
    };
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}",
        l.lanes
            .iter()
            .map(|(lane, name)| format!("{} = {}", short(*lane), crate::escape::md_line(name, 120)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for row in &l.rows {
        let mark = match row.mark() {
            Mark::Fail => "✗",
            Mark::Warn => "!",
            Mark::None => " ",
        };
        let time = row.at_ms().map(|t| format!("+{}", crate::fmt::ms(t))).unwrap_or_default();
        let (arrow, label) = match row {
            Row::Message { from, to, label, style, .. } => {
                let arrow = if lane_index(l, *from) < lane_index(l, *to) {
                    format!("{} -> {}", short(*from), short(*to))
                } else {
                    format!("{} <- {}", short(*to), short(*from))
                };
                let tag = match style {
                    Style::Retransmit if !label.contains("again") => " (again)",
                    _ => "",
                };
                (arrow, format!("{label}{tag}"))
            }
            Row::NoAnswer { from, to, label, .. } => (format!("{} -> {} ?", short(*from), short(*to)), label.clone()),
            Row::Gap { label, .. } => ("  ...  ".to_owned(), label.clone()),
            Row::Note { label, .. } => ("       ".to_owned(), label.clone()),
        };
        let _ = writeln!(o, "{mark} {time:>10}  {arrow:<7}  {}", crate::escape::md_line(&label, 160));
    }
    o
}

fn lane_index(l: &Ladder, lane: Lane) -> usize {
    l.lanes.iter().position(|(x, _)| *x == lane).unwrap_or(0)
}
