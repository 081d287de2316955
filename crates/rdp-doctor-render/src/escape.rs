//! Untrusted text stays text. Certificate subjects, HTTP headers and reason phrases, .rdp values and NTLM
//! names are chosen by whoever runs the server (or the man in the middle): every string of a report may
//! carry markup, Markdown, control or bidi characters, or be 100 KB long.
//!
//! HTML is built with [`Html`]: markup comes only from `&'static str` (this crate's own literals), and every
//! other string goes through [`escape_into`], the one escaping function: `& < > " '` become entities, control,
//! bidi and zero-width characters become visible `\u{…}` text, and long text is cut. So no report value can
//! open a tag, close an attribute, end the `<style>` block or reorder the text around it.
//!
//! Markdown has the same discipline in [`md_text`] (backslash escapes for every character Markdown or a
//! table gives meaning to, line breaks folded) and [`md_code`] / [`md_fence`] for code spans and blocks
//! whose delimiters no content can close.

use std::fmt::Write as _;

/// Longest untrusted string shown whole; the rest is cut with a note (the JSON keeps everything).
pub const MAX_TEXT: usize = 2_000;

/// Whether `c` is shown as a visible `\u{…}` escape instead of itself: C0/C1 controls (but tab and line
/// feed), bidi embeddings, overrides and isolates (Trojan Source), zero-width and invisible characters.
pub fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{ad}' | '\u{34f}' | '\u{61c}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}' | '\u{180e}'
        | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}'
        | '\u{3164}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}' | '\u{ffa0}' | '\u{fff0}'..='\u{fffb}'
        | '\u{e0000}'..='\u{e007f}')
}

/// The text a hidden character is shown as.
fn visible(c: char) -> String {
    format!("\\u{{{:X}}}", u32::from(c))
}

/// `s` cut to [`MAX_TEXT`] characters (on a character boundary), and how many characters were cut.
pub fn cut(s: &str, max: usize) -> (&str, usize) {
    match s.char_indices().nth(max) {
        Some((at, _)) => (s.get(..at).unwrap_or(s), s.get(at..).map_or(0, |r| r.chars().count())),
        None => (s, 0),
    }
}

/// Appends `s` to `out` as HTML text or attribute value (both contexts are safe with double-quoted
/// attributes), cut at `max` characters. Line feeds and tabs stay (CSS decides how they show).
pub fn escape_into(out: &mut String, s: &str, max: usize) {
    let (s, rest) = cut(s, max);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_hidden(c) => out.push_str(&visible(c)),
            c => out.push(c),
        }
    }
    if rest > 0 {
        let _ = write!(out, " … [{rest} more characters cut]");
    }
}

/// An HTML document under construction. Markup only from this crate's literals; text always escaped.
#[derive(Debug, Default)]
pub struct Html {
    buf: String,
}

impl Html {
    pub fn with_capacity(n: usize) -> Self {
        Self { buf: String::with_capacity(n) }
    }

    /// Markup written by this crate (a literal: never a value from a report).
    pub fn raw(&mut self, markup: &'static str) -> &mut Self {
        self.buf.push_str(markup);
        self
    }

    /// Text, escaped and cut at [`MAX_TEXT`] characters.
    pub fn text(&mut self, s: &str) -> &mut Self {
        escape_into(&mut self.buf, s, MAX_TEXT);
        self
    }

    /// Text cut at `max` characters (labels inside diagrams).
    pub fn text_max(&mut self, s: &str, max: usize) -> &mut Self {
        escape_into(&mut self.buf, s, max);
        self
    }

    /// A number or other formatted value (escaped like any text).
    pub fn fmt(&mut self, args: std::fmt::Arguments<'_>) -> &mut Self {
        let s = args.to_string();
        self.text(&s)
    }

    /// `<tag a="v" …>` with every value escaped.
    pub fn open(&mut self, tag: &'static str, attrs: &[(&'static str, &str)]) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(tag);
        for (name, value) in attrs {
            self.buf.push(' ');
            self.buf.push_str(name);
            self.buf.push_str("=\"");
            escape_into(&mut self.buf, value, MAX_TEXT);
            self.buf.push('"');
        }
        self.buf.push('>');
        self
    }

    /// `</tag>`.
    pub fn close(&mut self, tag: &'static str) -> &mut Self {
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push('>');
        self
    }

    /// `<tag attrs>text</tag>`.
    pub fn el(&mut self, tag: &'static str, attrs: &[(&'static str, &str)], text: &str) -> &mut Self {
        self.open(tag, attrs).text(text).close(tag)
    }

    /// A void element (`<rect … />` in SVG, `<meta …>` in HTML).
    pub fn void(&mut self, tag: &'static str, attrs: &[(&'static str, &str)]) -> &mut Self {
        self.open(tag, attrs);
        self.buf.pop();
        self.buf.push_str("/>");
        self
    }

    /// Appends a fragment built the same way (markup from literals, text escaped).
    pub fn append(&mut self, other: Html) -> &mut Self {
        self.buf.push_str(&other.buf);
        self
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn finish(self) -> String {
        self.buf
    }
}

/// Markdown text for prose, list items and table cells: hidden characters visible, line breaks folded to
/// spaces, and a backslash before every character that could start markup here — links and images (`[ ]`),
/// HTML and autolinks (`< >`), entities (`&`), emphasis and code (`* `` ` `` and `_` at a word boundary),
/// table cells (`|`), strike-through, math, mentions and Jira macros (`~ $ @ { } ^`), and at the start a
/// heading, list, rule or quote marker. Cut at [`MAX_TEXT`].
pub fn md_text(s: &str) -> String {
    let (s, rest) = cut(s, MAX_TEXT);
    let mut out = String::with_capacity(s.len() + 8);
    let chars: Vec<char> = s.chars().collect();
    let word = |i: Option<usize>| i.and_then(|i| chars.get(i)).is_some_and(|c| c.is_alphanumeric());
    let mut at_start = true;
    for (i, &c) in chars.iter().enumerate() {
        let escape = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '|' | '&' | '~' | '$' | '@' | '{' | '}' | '^' => true,
            // Intraword underscores (PROTOCOL_HYBRID) cannot start emphasis.
            '_' => !(word(i.checked_sub(1)) && word(Some(i + 1))),
            '#' | '+' | '-' | '=' | '!' => at_start,
            // GFM autolinks: `scheme://` and `www.` become links unless broken by an escape.
            ':' => chars.get(i + 1..i + 3) == Some(&['/', '/'][..]),
            '.' if i >= 3
                && chars.get(i - 3..i).is_some_and(|w| w.iter().collect::<String>().eq_ignore_ascii_case("www"))
                && !word(i.checked_sub(4)) =>
            {
                true
            }
            '.' | ')' => {
                at_start
                    && i > 0
                    && chars.get(..i).is_some_and(|p| p.iter().all(char::is_ascii_digit))
                    && chars.get(i + 1).is_none_or(|n| n.is_whitespace())
            }
            _ => false,
        };
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if is_hidden(c) => out.push_str(&visible(c).replace('\\', "\\\\").replace(['{', '}'], "")),
            c => {
                if escape {
                    out.push('\\');
                }
                out.push(c);
            }
        }
        if !c.is_ascii_digit() && !c.is_whitespace() {
            at_start = false;
        }
    }
    if rest > 0 {
        let _ = write!(out, " … \\[{rest} more characters cut\\]");
    }
    out
}

/// One line of literal text for a fenced code block: hidden characters visible, no line breaks, cut.
pub fn md_line(s: &str, max: usize) -> String {
    let (s, rest) = cut(s, max);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if is_hidden(c) => out.push_str(&visible(c)),
            c => out.push(c),
        }
    }
    if rest > 0 {
        let _ = write!(out, " … [{rest} more characters cut]");
    }
    out
}

/// An inline code span holding `s` literally: the delimiter is one backtick longer than the longest run
/// inside, `|` is escaped for tables (GFM reads the escape inside code spans too).
pub fn md_code(s: &str) -> String {
    let line = md_line(s, MAX_TEXT).replace('|', "\\|");
    let ticks = "`".repeat(longest_run(&line, '`') + 1);
    let pad = if line.starts_with('`') || line.ends_with('`') || line.is_empty() { " " } else { "" };
    format!("{ticks}{pad}{line}{pad}{ticks}")
}

/// A fence for a code block holding `body`: longer than any backtick run inside it.
pub fn md_fence(body: &str) -> String {
    "`".repeat((longest_run(body, '`') + 1).max(3))
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for x in s.chars() {
        run = if x == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut o = String::new();
        escape_into(&mut o, s, MAX_TEXT);
        o
    }

    #[test]
    fn html_escaping() {
        assert_eq!(esc("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(esc("\"onmouseover=alert(1) x='"), "&quot;onmouseover=alert(1) x=&#39;");
        assert_eq!(esc("a&amp;b"), "a&amp;amp;b");
        assert_eq!(esc("</style>"), "&lt;/style&gt;");
        assert_eq!(esc("abc\u{202E}fdp.exe"), "abc\\u{202E}fdp.exe");
        assert_eq!(esc("x\u{0}y\u{7}\u{200b}"), "x\\u{0}y\\u{7}\\u{200B}");
        assert_eq!(esc("tab\tand\nline"), "tab\tand\nline");
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        let s = "é".repeat(MAX_TEXT + 5);
        let o = esc(&s);
        assert!(o.starts_with(&"é".repeat(MAX_TEXT)));
        assert!(o.ends_with(" … [5 more characters cut]"), "{o}");
        let mut h = Html::default();
        h.text_max("abcdef", 3);
        assert_eq!(h.finish(), "abc … [3 more characters cut]");
    }

    #[test]
    fn builder_escapes_attributes() {
        let mut h = Html::default();
        h.open("a", &[("title", "\"><script>")]).text("<b>").close("a");
        h.void("rect", &[("x", "1")]);
        assert_eq!(h.finish(), "<a title=\"&quot;&gt;&lt;script&gt;\">&lt;b&gt;</a><rect x=\"1\"/>");
    }

    #[test]
    fn markdown_escaping() {
        assert_eq!(md_text("[click](http://x)"), "\\[click\\](http\\://x)");
        assert_eq!(md_text("see www.evil.example or WWW.x"), "see www\\.evil.example or WWW\\.x");
        assert_eq!(
            md_text("127.0.0.1:3389 PROTOCOL_HYBRID_EX it's 2026-12-06"),
            "127.0.0.1:3389 PROTOCOL_HYBRID_EX it's 2026-12-06"
        );
        assert_eq!(md_text("# h"), "\\# h");
        assert_eq!(md_text("- item"), "\\- item");
        assert_eq!(md_text("12. item"), "12\\. item");
        assert_eq!(md_text("_x_ a_b"), "\\_x\\_ a_b");
        assert_eq!(md_text("@admin ![i](u)"), "\\@admin !\\[i\\](u)");
        assert_eq!(md_text("a | b\n| c |"), "a \\| b \\| c \\|");
        assert_eq!(md_text("<script>"), "\\<script\\>");
        assert_eq!(md_text("**bold** _x_ `c`"), "\\*\\*bold\\*\\* \\_x\\_ \\`c\\`");
        assert_eq!(md_text("\u{202E}"), "\\\\u202E");
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("`x`"), "`` `x` ``");
        assert_eq!(md_code("a|b"), "`a\\|b`");
        assert_eq!(md_fence("x ```` y"), "`````");
        assert_eq!(md_fence("plain"), "```");
        assert_eq!(md_line("a\nb\u{202E}", 100), "a b\\u{202E}");
    }
}
