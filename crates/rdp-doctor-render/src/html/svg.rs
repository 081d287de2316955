//! Inline SVG drawings: the ladder diagram, the certificate's validity bar and the fleet's certificate
//! expiry timeline. Colours come from the page's CSS classes (so dark mode and print apply); every label
//! goes through the one escaping function, long ones are cut with the full text in a `<title>`.

use crate::escape::Html;
use crate::fmt::ms;
use crate::ladder::{Ladder, Lane, Mark, Row, Style};

const W: f64 = 760.0;
const TIME_W: f64 = 86.0;
const LEFT: f64 = 160.0;
const RIGHT: f64 = 690.0;
const HEAD: f64 = 50.0;

fn n(v: f64) -> String {
    format!("{v:.1}")
}

fn lane_x(l: &Ladder, lane: Lane) -> f64 {
    let i = l.lanes.iter().position(|(x, _)| *x == lane).unwrap_or(0);
    let count = l.lanes.len().max(2) - 1;
    LEFT + (RIGHT - LEFT) * i as f64 / count as f64
}

fn style_class(s: Style) -> &'static str {
    match s {
        Style::Normal => "msg",
        Style::Retransmit => "msg again",
        Style::Alert => "msg alert",
        Style::Close => "msg close",
        Style::Reset => "msg reset",
    }
}

fn head_class(s: Style) -> &'static str {
    match s {
        Style::Alert | Style::Retransmit => "head alert",
        Style::Close => "head close",
        Style::Reset => "head reset",
        Style::Normal => "head",
    }
}

/// A label: cut to fit, the full text in a `<title>` child.
fn label(h: &mut Html, x: f64, y: f64, anchor: &'static str, class: &'static str, text: &str, max_chars: usize) {
    h.open("text", &[("x", &n(x)), ("y", &n(y)), ("text-anchor", anchor), ("class", class)]);
    h.open("title", &[]).text(text).close("title");
    let (shown, rest) = crate::escape::cut(text, max_chars.saturating_sub(1).max(1));
    h.text(shown);
    if rest > 0 {
        h.raw("…");
    }
    h.close("text");
}

fn highlight(h: &mut Html, y: f64, height: f64, mark: Mark) {
    let class = match mark {
        Mark::Fail => "hl-fail",
        Mark::Warn => "hl-warn",
        Mark::None => return,
    };
    h.void(
        "rect",
        &[
            ("x", &n(TIME_W - 2.0)),
            ("y", &n(y)),
            ("width", &n(W - TIME_W - 2.0)),
            ("height", &n(height)),
            ("rx", "4"),
            ("class", class),
        ],
    );
}

fn time(h: &mut Html, y: f64, at: Option<f64>) {
    if let Some(t) = at {
        label(h, TIME_W - 8.0, y, "end", "t", &format!("+{}", ms(t)), 16);
    }
}

fn arrow_head(h: &mut Html, x: f64, y: f64, rightwards: bool, class: &'static str) {
    let back = if rightwards { x - 9.0 } else { x + 9.0 };
    let points = format!("{},{} {},{} {},{}", n(x), n(y), n(back), n(y - 4.5), n(back), n(y + 4.5));
    h.void("polygon", &[("points", &points), ("class", class)]);
}

/// The ladder as an SVG (inside a sideways-scrolling box on narrow screens).
pub fn ladder(h: &mut Html, l: &Ladder) {
    let mut body = Html::with_capacity(4096);
    let mut y = HEAD;
    for row in &l.rows {
        match row {
            Row::Message { at_ms, from, to, label: text, style, mark } => {
                let (x1, x2) = (lane_x(l, *from), lane_x(l, *to));
                highlight(&mut body, y + 1.0, 30.0, *mark);
                time(&mut body, y + 22.0, *at_ms);
                let right = x2 > x1;
                let end = if right { x2 - 8.0 } else { x2 + 8.0 };
                body.void(
                    "line",
                    &[
                        ("x1", &n(x1)),
                        ("y1", &n(y + 22.0)),
                        ("x2", &n(end)),
                        ("y2", &n(y + 22.0)),
                        ("class", style_class(*style)),
                    ],
                );
                arrow_head(&mut body, x2, y + 22.0, right, head_class(*style));
                if *style == Style::Reset {
                    let cx = x2 + if right { -16.0 } else { 16.0 };
                    cross(&mut body, cx, y + 22.0);
                }
                let span = (x2 - x1).abs();
                let class = if *mark == Mark::None { "lbl" } else { "lbl marked" };
                let suffix = if *style == Style::Retransmit { " ↻" } else { "" };
                let chars = ((span / 7.0) as usize).max(12);
                label(&mut body, x1.min(x2) + span / 2.0, y + 16.0, "middle", class, &format!("{text}{suffix}"), chars);
                y += 32.0;
            }
            Row::NoAnswer { at_ms, from, to, label: text, mark } => {
                let (x1, x2) = (lane_x(l, *from), lane_x(l, *to));
                highlight(&mut body, y + 1.0, 30.0, *mark);
                time(&mut body, y + 22.0, *at_ms);
                let stop = x1 + (x2 - x1) * 0.55;
                body.void(
                    "line",
                    &[
                        ("x1", &n(x1)),
                        ("y1", &n(y + 22.0)),
                        ("x2", &n(stop)),
                        ("y2", &n(y + 22.0)),
                        ("class", "msg none"),
                    ],
                );
                cross(&mut body, stop, y + 22.0);
                let class = if *mark == Mark::None { "lbl" } else { "lbl marked" };
                let chars = (((x2 - x1).abs() / 7.0) as usize).max(12);
                label(
                    &mut body,
                    x1.min(x2) + (x2 - x1).abs() / 2.0,
                    y + 14.0,
                    "middle",
                    class,
                    &format!("✕ {text}"),
                    chars,
                );
                y += 32.0;
            }
            Row::Gap { at_ms, label: text, mark, .. } => {
                highlight(&mut body, y + 1.0, 32.0, *mark);
                time(&mut body, y + 21.0, Some(*at_ms));
                body.void(
                    "rect",
                    &[
                        ("x", &n(LEFT - 30.0)),
                        ("y", &n(y + 6.0)),
                        ("width", &n(RIGHT - LEFT + 60.0)),
                        ("height", "22"),
                        ("rx", "3"),
                        ("class", "gap"),
                    ],
                );
                label(&mut body, (LEFT + RIGHT) / 2.0, y + 21.0, "middle", "gaptext", &format!("⋯ {text}"), 86);
                y += 34.0;
            }
            Row::Note { at_ms, lane, label: text } => {
                time(&mut body, y + 16.0, *at_ms);
                let (x, anchor) = match lane {
                    Some(Lane::Client) => (lane_x(l, Lane::Client) + 6.0, "start"),
                    Some(other) => (lane_x(l, *other) - 6.0, "end"),
                    None => ((LEFT + RIGHT) / 2.0, "middle"),
                };
                label(&mut body, x, y + 16.0, anchor, "note", text, 90);
                y += 24.0;
            }
        }
    }
    let height = y + 12.0;
    h.raw("<div class=\"scroll\">");
    h.open(
        "svg",
        &[
            ("class", "ladder"),
            ("viewBox", &format!("0 0 {} {}", n(W), n(height))),
            ("font-size", "12.5"),
            ("role", "img"),
        ],
    );
    h.open("title", &[]).text(&l.title).close("title");
    let last = l.lanes.len().saturating_sub(1);
    for (i, (lane, name)) in l.lanes.iter().enumerate() {
        let x = lane_x(l, *lane);
        // The outer lanes' names grow away from the edges.
        let (lx, anchor) = match i {
            0 => (x - 50.0, "start"),
            i if i == last => (x + 45.0, "end"),
            _ => (x, "middle"),
        };
        body_lane(h, x, height);
        label(h, lx, 22.0, anchor, "lanehead", name, 44);
    }
    h.raw("<text x=\"8\" y=\"42\" class=\"t\">time</text>");
    h.append(body);
    h.raw("</svg></div>");
}

fn body_lane(h: &mut Html, x: f64, height: f64) {
    h.void(
        "line",
        &[("x1", &n(x)), ("y1", &n(HEAD - 14.0)), ("x2", &n(x)), ("y2", &n(height - 6.0)), ("class", "lane")],
    );
}

fn cross(h: &mut Html, x: f64, y: f64) {
    let d = format!(
        "M{} {}L{} {}M{} {}L{} {}",
        n(x - 5.0),
        n(y - 5.0),
        n(x + 5.0),
        n(y + 5.0),
        n(x - 5.0),
        n(y + 5.0),
        n(x + 5.0),
        n(y - 5.0)
    );
    h.void("path", &[("d", &d), ("class", "cross")]);
}

/// The validity period as a bar with the time of observation marked; the bar is red when that time is
/// outside it.
pub fn validity_bar(h: &mut Html, not_before: i64, not_after: i64, now: i64) {
    let lo = not_before.min(now) as f64;
    let hi = not_after.max(now) as f64;
    let span = (hi - lo).max(1.0);
    let pad = span * 0.03;
    let x = |t: i64| 10.0 + (t as f64 - lo + pad) / (span + 2.0 * pad) * 580.0;
    let bad = now < not_before || now > not_after;
    h.open("svg", &[("viewBox", "0 0 600 34"), ("class", "vbar"), ("role", "img")]);
    h.open("title", &[])
        .text(if bad {
            "validity period; the time of observation is outside it"
        } else {
            "validity period; the time of observation is inside it"
        })
        .close("title");
    h.void(
        "rect",
        &[
            ("x", &n(x(not_before))),
            ("y", "8"),
            ("width", &n((x(not_after) - x(not_before)).max(2.0))),
            ("height", "16"),
            ("rx", "3"),
            ("class", if bad { "bar bad" } else { "bar" }),
        ],
    );
    h.void("line", &[("x1", &n(x(now))), ("y1", "2"), ("x2", &n(x(now))), ("y2", "30"), ("class", "now")]);
    h.raw("</svg>");
}

/// One host's certificate for the fleet timeline.
pub struct Expiry<'a> {
    pub host: &'a str,
    pub not_after: i64,
    pub days_left: i64,
}

/// Certificates by expiry week from eight weeks ago to a year ahead (earlier and later ones in the end
/// columns), one dot per host stacked in its week, the time of the scan marked.
pub fn expiry_timeline(h: &mut Html, certs: &[Expiry<'_>], now: i64) {
    const WEEK: i64 = 7 * 86_400;
    const FIRST: i64 = -8;
    const LAST: i64 = 53;
    const MAX_STACK: usize = 30;
    let columns = (LAST - FIRST + 1) as usize;
    let mut bins: Vec<Vec<&Expiry<'_>>> = vec![Vec::new(); columns];
    for c in certs {
        let week = (c.not_after - now).div_euclid(WEEK).clamp(FIRST, LAST);
        if let Some(b) = bins.get_mut((week - FIRST) as usize) {
            b.push(c);
        }
    }
    let tallest = bins.iter().map(Vec::len).max().unwrap_or(0).min(MAX_STACK);
    let step = 11.0;
    let height = 40.0 + tallest as f64 * 9.0 + 20.0;
    let x = |col: usize| 20.0 + col as f64 * step;
    let width = x(columns) + 20.0;
    h.raw("<div class=\"scroll\">");
    h.open(
        "svg",
        &[
            ("viewBox", &format!("0 0 {} {}", n(width), n(height))),
            ("class", "ladder"),
            ("role", "img"),
            ("font-size", "11"),
        ],
    );
    h.raw("<title>Certificate expiry by week: eight weeks back to a year ahead</title>");
    let base = height - 26.0;
    h.void("line", &[("x1", "16"), ("y1", &n(base)), ("x2", &n(width - 10.0)), ("y2", &n(base)), ("class", "axis")]);
    let now_x = x((-FIRST) as usize);
    h.void("line", &[("x1", &n(now_x)), ("y1", "10"), ("x2", &n(now_x)), ("y2", &n(base + 4.0)), ("class", "now")]);
    label(h, now_x + 4.0, 16.0, "start", "t", "scan time", 20);
    for (weeks, text) in
        [(FIRST, "≤ 8 weeks ago"), (4, "+1 month"), (13, "+3 months"), (26, "+6 months"), (LAST, "≥ 1 year")]
    {
        let cx = x((weeks - FIRST) as usize) + step / 2.0;
        label(h, cx, base + 16.0, "middle", "t", text, 20);
    }
    for (col, bin) in bins.iter().enumerate() {
        for (i, c) in bin.iter().take(MAX_STACK).enumerate() {
            let class = match c.days_left {
                d if d < 0 => "dot fail",
                d if d <= 30 => "dot warn",
                _ => "dot ok",
            };
            h.open(
                "circle",
                &[
                    ("cx", &n(x(col) + step / 2.0)),
                    ("cy", &n(base - 6.0 - i as f64 * 9.0)),
                    ("r", "4"),
                    ("class", class),
                ],
            );
            h.open("title", &[])
                .fmt(format_args!("{}: {} ({} days)", c.host, crate::fmt::date(c.not_after), c.days_left))
                .close("title");
            h.close("circle");
        }
        if bin.len() > MAX_STACK {
            label(
                h,
                x(col) + step / 2.0,
                base - 6.0 - MAX_STACK as f64 * 9.0,
                "middle",
                "t",
                &format!("+{}", bin.len() - MAX_STACK),
                8,
            );
        }
    }
    h.raw("</svg></div>");
}
