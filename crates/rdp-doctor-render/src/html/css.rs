//! The one style sheet, inline in every page: light and dark schemes (`prefers-color-scheme`), a phone
//! layout (boxes wrap, wide diagrams scroll sideways), and print rules for A4 and Letter (light colours,
//! folded sections printed open, no page break inside a finding). A constant, so the page's
//! Content-Security-Policy can allow exactly this style block by its hash.

pub const CSS: &str = r#"
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--card:#f6f8fa;
--ok:#1a7f37;--warn:#9a6700;--fail:#cf222e;--info:#0969da;--skip:#818b98;
--okbg:#dafbe1;--warnbg:#fff8c5;--failbg:#ffebe9;--infobg:#ddf4ff;--skipbg:#eff2f5}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--card:#151b23;
--ok:#3fb950;--warn:#d29922;--fail:#f85149;--info:#4493f8;--skip:#6e7681;
--okbg:#12261e;--warnbg:#272115;--failbg:#2d1517;--infobg:#121d2f;--skipbg:#1c2128}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0 auto;max-width:64rem;padding:1rem;background:var(--bg);color:var(--fg);
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;overflow-wrap:anywhere}
h1{font-size:1.35rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.6rem 0 .5rem;border-bottom:1px solid var(--line);padding-bottom:.2rem}
h3{font-size:1rem;margin:1rem 0 .3rem}
code,pre,kbd,.mono{font-family:ui-monospace,SFMono-Regular,"Cascadia Mono",Menlo,Consolas,monospace;font-size:.86em}
pre{white-space:pre-wrap;background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.45rem .7rem;margin:.25rem 0;user-select:all;-webkit-user-select:all}
a{color:var(--info)}
.muted{color:var(--muted)}
.tool{color:var(--muted);font-size:.85rem;margin:0}
.banner{border:1px solid var(--line);border-left:8px solid var(--skip);background:var(--skipbg);border-radius:8px;padding:.8rem 1rem;margin:.6rem 0 1rem}
.banner.fail{border-left-color:var(--fail);background:var(--failbg)}.banner.warn{border-left-color:var(--warn);background:var(--warnbg)}
.banner.ok{border-left-color:var(--ok);background:var(--okbg)}
.banner .sentence{font-size:1.15rem;font-weight:600;margin:.2rem 0}
.banner dl{display:flex;flex-wrap:wrap;gap:.2rem 1.4rem;margin:.4rem 0 0}.banner dt{color:var(--muted);font-size:.8rem}.banner dd{margin:0;font-weight:600}
.badge{display:inline-block;border-radius:1em;padding:0 .55em;font-size:.78rem;font-weight:700;text-transform:uppercase;letter-spacing:.03em;border:1px solid currentColor;white-space:nowrap}
.ok .badge,.badge.ok{color:var(--ok)}.warn .badge,.badge.warn{color:var(--warn)}.fail .badge,.badge.fail{color:var(--fail)}
.skip .badge,.badge.skip{color:var(--skip)}.info .badge,.badge.info{color:var(--info)}
ol.chain{display:flex;flex-wrap:wrap;gap:.35rem;list-style:none;padding:0;margin:.4rem 0;counter-reset:none}
ol.chain li{flex:1 1 7.5rem;min-width:7rem;border:1px solid var(--line);border-top:5px solid var(--skip);border-radius:6px;padding:.35rem .5rem;background:var(--card);position:relative}
ol.chain li.ok{border-top-color:var(--ok)}ol.chain li.warn{border-top-color:var(--warn)}ol.chain li.fail{border-top-color:var(--fail);background:var(--failbg)}
ol.chain li.skip{opacity:.75}
ol.chain .ln{display:block;font-weight:700}ol.chain .lt{display:block;color:var(--muted);font-size:.82rem}
ol.chain .ls{font-size:.8rem;font-weight:600}
ol.chain li.ok .ls{color:var(--ok)}ol.chain li.warn .ls{color:var(--warn)}ol.chain li.fail .ls{color:var(--fail)}ol.chain li.skip .ls{color:var(--skip)}
ol.chain.sub li{flex-basis:9rem;border-top-width:3px;font-size:.88rem}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}
svg.ladder{display:block;min-width:40rem;width:100%;height:auto;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
svg text{fill:var(--fg)}svg .lane{stroke:var(--line);stroke-width:2}svg .lanehead{font-weight:700}
svg .t{fill:var(--muted);font-size:11px}svg .msg{stroke:var(--fg);stroke-width:1.4;fill:none}svg .head{fill:var(--fg)}
svg .msg.alert{stroke:var(--warn)}svg .head.alert{fill:var(--warn)}svg .msg.close{stroke:var(--muted)}svg .head.close{fill:var(--muted)}
svg .msg.reset{stroke:var(--fail)}svg .head.reset{fill:var(--fail)}svg .msg.again{stroke-dasharray:5 4}
svg .msg.none{stroke-dasharray:2 4;stroke:var(--fail)}svg .cross{stroke:var(--fail);stroke-width:2.2}
svg .hl-fail{fill:var(--failbg);stroke:var(--fail);stroke-width:1}svg .hl-warn{fill:var(--warnbg);stroke:var(--warn);stroke-width:1}
svg .marked{font-weight:700}svg .gap{fill:var(--bg);stroke:var(--muted);stroke-dasharray:3 3}svg .gaptext{fill:var(--muted);font-style:italic}
svg .note{fill:var(--muted);font-style:italic}
svg .bar{fill:var(--okbg);stroke:var(--ok)}svg .bar.bad{fill:var(--failbg);stroke:var(--fail)}svg .now{stroke:var(--fg);stroke-width:3}
svg .axis{stroke:var(--line)}svg .dot.ok{fill:var(--ok)}svg .dot.warn{fill:var(--warn)}svg .dot.fail{fill:var(--fail)}
.ladder-wrap{border:1px solid var(--line);border-radius:8px;padding:.4rem;margin:.5rem 0}
.ladder-wrap h3{margin:.2rem .3rem}.ladder-wrap .muted{margin:.2rem .3rem;font-size:.85rem}
.ladder-text{margin:.3rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{text-align:left;vertical-align:top;padding:.3rem .45rem;border-bottom:1px solid var(--line)}
th{font-size:.85rem;color:var(--muted)}
table.kv th{width:11rem;font-weight:600}
.finding{border:1px solid var(--line);border-left:6px solid var(--skip);border-radius:6px;padding:.5rem .8rem;margin:.6rem 0;break-inside:avoid}
.finding.fail{border-left-color:var(--fail)}.finding.warn{border-left-color:var(--warn)}.finding.info{border-left-color:var(--info)}
.finding h3{margin:.1rem 0}.finding .id{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem;color:var(--muted)}
.finding ul.ev{margin:.3rem 0;padding-left:1.2rem}.finding ul.ev li{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.84rem}
ol.todo{padding-left:1.3rem}ol.todo>li{margin:.6rem 0 1rem;break-inside:avoid}
ol.todo .meta{color:var(--muted);font-size:.85rem}ol.steps{padding-left:1.2rem;margin:.3rem 0}
.risk{border-left:3px solid var(--warn);padding-left:.5rem}.security{border-left:3px solid var(--fail);padding-left:.5rem;font-weight:600}
details>summary{cursor:pointer;color:var(--info)}
.cert{border:1px solid var(--line);border-radius:8px;padding:.5rem .8rem;margin:.5rem 0}
.vbar-dates{display:flex;justify-content:space-between;font-size:.82rem;color:var(--muted)}
.counts{display:flex;flex-wrap:wrap;gap:.4rem;list-style:none;padding:0}.counts li{border:1px solid var(--line);border-radius:6px;padding:.3rem .6rem}
.counts b{font-size:1.2rem;margin-right:.3rem}
table.hosts th button{all:unset;cursor:pointer;color:var(--info)}
table.hosts td.n{text-align:right;font-variant-numeric:tabular-nums}
footer{margin-top:2rem;color:var(--muted);font-size:.8rem;border-top:1px solid var(--line);padding-top:.4rem}
@media (max-width:40rem){body{padding:.6rem;font-size:14px}table.kv th{width:auto}ol.chain li{flex-basis:6rem}}
@media print{
:root{--bg:#fff;--fg:#000;--muted:#444;--line:#bbb;--card:#f6f6f6;--ok:#1a7f37;--warn:#8a5a00;--fail:#b3121c;--info:#0550ae;
--okbg:#eef9f0;--warnbg:#fffbe0;--failbg:#fff0ef;--infobg:#eef6ff;--skipbg:#f4f4f4}
@page{margin:12mm}
body{max-width:none;padding:0;font-size:10pt}
.scroll{overflow:visible}svg.ladder{min-width:0}
pre{user-select:auto;break-inside:avoid}
details::details-content{content-visibility:visible;height:auto}
details>summary{color:var(--fg)}
h2{break-after:avoid}.ladder-wrap,.cert,.finding{break-inside:avoid}
table.hosts th button{color:var(--fg)}
a{color:inherit;text-decoration:none}
}
"#;
