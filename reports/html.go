package reports

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// WriteHTML writes the report as one self-contained HTML page: inline CSS, a few lines of plain
// JavaScript for the status filters, inline SVG for token lifetimes, and no fetch of anything
// (no font, no script, no image), so it opens from disk and from a CI artifact store alike. The
// verdict comes first, then the counts per flow and level, then every check with its rule,
// status, message and source. The layout has a maximum width and wraps long lines, so a laptop
// reads it without scrolling sideways. The same report always renders the same bytes.
func WriteHTML(w io.Writer, r *Report) error {
	c := *r
	c.Checks = append([]Check(nil), r.Checks...)
	c.Sort()
	c.Started, c.Finished = c.Started.UTC(), c.Finished.UTC()
	must, should := c.Totals()
	d := htmlData{
		R:        &c,
		Pass:     c.Passed(),
		Must:     must,
		Should:   should,
		Flows:    c.ByFlow(),
		Duration: c.Finished.Sub(c.Started).Round(time.Millisecond).String(),
		MustRan:  must.Passed + must.Warning + must.Failed,
	}
	for _, st := range Statuses {
		d.Outcomes = append(d.Outcomes, strings.ReplaceAll(string(st), "-", " "))
		d.StatusIDs = append(d.StatusIDs, string(st))
	}
	for _, fc := range d.Flows {
		if fc.MUST.Total() > 0 {
			d.Rows = append(d.Rows, countsRow(fc.Flow, MUST, false, fc.MUST))
		}
		if fc.SHOULD.Total() > 0 {
			d.Rows = append(d.Rows, countsRow(fc.Flow, SHOULD, false, fc.SHOULD))
		}
	}
	d.Rows = append(d.Rows, countsRow("", MUST, true, must), countsRow("", SHOULD, true, should))
	for _, ch := range c.Checks {
		o := ch.Outcome()
		hc := htmlCheck{Check: ch, Verdict: strings.ReplaceAll(string(o), "-", " "), VerdictClass: string(o), Source: ch.Provenance.String()}
		if hc.Source == "" {
			hc.Source = ch.Source
		}
		if ch.Lifetime != nil {
			hc.SVG = lifetimeSVG(*ch.Lifetime)
		}
		d.Checks = append(d.Checks, hc)
		d.ByStatus[slices.Index(Statuses, o)]++
	}
	return htmlPage.Execute(w, d)
}

type htmlData struct {
	R         *Report
	Pass      bool
	Must      Counts
	Should    Counts
	Flows     []FlowCounts
	Duration  string
	MustRan   int
	Checks    []htmlCheck
	ByStatus  [6]int   // by Statuses
	Outcomes  []string // the outcome words, by Statuses
	StatusIDs []string // the JSON statuses, by Statuses
	Rows      []htmlRow
}

// htmlRow is a row of the counts table: a flow's or the total's counts at one level.
type htmlRow struct {
	Flow  string
	Level Level
	Total bool
	N     []int // by Statuses
}

func countsRow(flow string, level Level, total bool, c Counts) htmlRow {
	row := htmlRow{Flow: flow, Level: level, Total: total}
	for _, st := range Statuses {
		row.N = append(row.N, c.Of(st))
	}
	return row
}

type htmlCheck struct {
	Check
	Verdict      string
	VerdictClass string
	Source       string // the provenance, or the rule's source for an older report
	SVG          template.HTML
}

// lifetimeSVG draws a token's lifetime: the expected span with its tolerance band, and the
// observed span under it, green within the tolerance and red outside it.
func lifetimeSVG(l Lifetime) template.HTML {
	const width, left, barW = 360.0, 70.0, 270.0
	top := math.Max(l.Expected+l.Tolerance, l.Observed)
	if top <= 0 {
		top = 1
	}
	x := func(sec float64) float64 { return left + barW*math.Max(sec, 0)/top }
	ok := math.Abs(l.Observed-l.Expected) <= l.Tolerance
	obsColor := "#2e7d32"
	if !ok {
		obsColor = "#c62828"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="life" role="img" viewBox="0 0 %.0f 58" width="%.0f" height="58" xmlns="http://www.w3.org/2000/svg">`, width, width)
	fmt.Fprintf(&b, `<title>%s token: expected %s, observed %s (tolerance %s)</title>`,
		template.HTMLEscapeString(l.Token), template.HTMLEscapeString(humanSeconds(l.Expected)), template.HTMLEscapeString(humanSeconds(l.Observed)), template.HTMLEscapeString(humanSeconds(l.Tolerance)))
	fmt.Fprintf(&b, `<text x="0" y="16" class="lbl">expected</text>`)
	fmt.Fprintf(&b, `<rect x="%.1f" y="6" width="%.1f" height="12" fill="#90a4ae"/>`, left, x(l.Expected)-left)
	lo, hi := x(l.Expected-l.Tolerance), x(l.Expected+l.Tolerance)
	fmt.Fprintf(&b, `<rect x="%.1f" y="2" width="%.1f" height="42" fill="#455a64" fill-opacity="0.18" stroke="#455a64" stroke-dasharray="2 2"/>`, math.Min(lo, hi-3), math.Max(hi-lo, 3))
	fmt.Fprintf(&b, `<text x="0" y="38" class="lbl">observed</text>`)
	fmt.Fprintf(&b, `<rect x="%.1f" y="28" width="%.1f" height="12" fill="%s"/>`, left, x(l.Observed)-left, obsColor)
	fmt.Fprintf(&b, `<text x="%.1f" y="54" class="lbl">0</text><text x="%.1f" y="54" class="lbl" text-anchor="end">%s</text>`, left, left+barW, template.HTMLEscapeString(humanSeconds(top)))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// humanSeconds writes a duration in seconds the way a person reads it: 86400 -> "24h",
// 2592000 -> "30d".
func humanSeconds(s float64) string {
	if r := math.Round(s); r >= 2*86400 && math.Mod(r, 86400) == 0 {
		return fmt.Sprintf("%.0fd", r/86400)
	}
	d := time.Duration(math.Round(s)) * time.Second
	str := d.String()
	str = strings.TrimSuffix(str, "0s")
	str = strings.TrimSuffix(str, "0m")
	if str == "" {
		return "0s"
	}
	return str
}

var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"human": humanSeconds,
	"short": short,
	"utc":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"lower": func(l Level) string { return strings.ToLower(string(l)) },
}).Parse(htmlTemplate))

const htmlTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{{if .Pass}}PASS{{else}}FAIL{{end}}: {{.R.Spec.Name}} against {{.R.Target.BaseURL}} (authconform)</title>
<style>
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f6f7f9}
main{max-width:60rem;margin:0 auto;padding:1rem 1.25rem 3rem}
h1{font-size:1.3rem;margin:.2rem 0}
h2{font-size:1.05rem;margin:1.6rem 0 .5rem}
.verdict{border-radius:8px;padding:1rem 1.25rem;color:#fff}
.verdict.pass{background:#2e7d32}.verdict.fail{background:#c62828}
.verdict .big{font-size:1.8rem;font-weight:700;letter-spacing:.03em}
.verdict p{margin:.25rem 0}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.8rem 0}
dl.meta dt{color:#555}dl.meta dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #d9dde3;padding:.3rem .5rem;text-align:right}
th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}
.filters{display:flex;flex-wrap:wrap;gap:.4rem 1rem;margin:.5rem 0 1rem}
.filters label{cursor:pointer}
.check{background:#fff;border:1px solid #d9dde3;border-left:6px solid #90a4ae;border-radius:6px;padding:.55rem .8rem;margin:.5rem 0}
.check.passed{border-left-color:#2e7d32}.check.failed{border-left-color:#c62828}.check.warning{border-left-color:#ef6c00}
.check.not-applicable{border-left-color:#90a4ae}.check.missing-input{border-left-color:#f9a825}.check.not-run{border-left-color:#6a1b9a}
.head{display:flex;flex-wrap:wrap;gap:.2rem .6rem;align-items:baseline}
.id{font-weight:700;font-family:ui-monospace,Menlo,Consolas,monospace}
.badge{font-size:.8rem;padding:0 .45rem;border-radius:1rem;background:#eceff1;white-space:nowrap}
.badge.passed{background:#c8e6c9}.badge.failed{background:#ffcdd2}.badge.warning{background:#ffe0b2}.badge.missing-input{background:#fff59d}.badge.not-run{background:#e1bee7}
.op{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9rem;overflow-wrap:anywhere}
.rule{margin:.25rem 0}
.src{color:#555;font-size:.85rem;margin:.15rem 0}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f3f4f6;padding:.4rem .6rem;border-radius:4px;margin:.35rem 0;font-size:.85rem}
svg.life{max-width:100%;height:auto;display:block;margin:.3rem 0}
svg .lbl{font:11px system-ui,sans-serif;fill:#333}
footer{color:#555;font-size:.85rem;margin-top:2rem}
</style>
</head>
<body>
<main>
<h1>authconform conformance report: {{.R.Spec.Name}}</h1>
<section id="verdict" class="verdict {{if .Pass}}pass{{else}}fail{{end}}">
<div class="big">Verdict: {{if .Pass}}PASS{{else}}FAIL{{end}}</div>
{{if .Pass}}<p>No MUST check failed: {{.Must.Passed}} passed, {{.Must.Warning}} passed with a warning, {{.Must.NotApplicable}} not applicable, {{.Must.MissingInput}} missing input, {{.Must.NotRun}} not run. {{.Should.Warning}} SHOULD warnings.</p>
{{else}}<p>{{.Must.Failed}} of {{.MustRan}} MUST checks that ran failed{{if .R.Interrupted}}, and the run was cut short{{end}}. {{.Should.Warning}} SHOULD warnings.</p>
{{end}}{{with .R.Interrupted}}<p>The run was cut short: {{.}}.</p>{{end}}{{with .R.Signature}}<p>Certified: signed with Ed25519 key {{.KeyID}}. Check it with <code>authconform report verify</code>; this page does not verify it.</p>{{end}}
</section>
<dl class="meta">
<dt>spec</dt><dd>{{.R.Spec.Name}}{{with .R.Spec.Title}} — {{.}}{{end}}{{with .R.Spec.Version}} {{.}}{{end}}</dd>
<dt>spec sha256</dt><dd><code>{{.R.Spec.SHA256}}</code></dd>
<dt>target</dt><dd>{{.R.Target.BaseURL}}{{with .R.Target.File}} (from {{.}}){{end}}</dd>
<dt>run</dt><dd>{{utc .R.Started}} to {{utc .R.Finished}} ({{.Duration}})</dd>
{{with .R.LabelFilter}}<dt>label filter</dt><dd><code>{{.}}</code> (checks it left out are listed as not run)</dd>{{end}}
{{range .R.Readings}}<dt>reading ({{.How}})</dt><dd><code>{{.Decision}} = {{.Choice}}</code>{{with .Means}}: {{.}}{{end}}</dd>
{{end}}<dt>tool</dt><dd>{{.R.Tool.Name}} {{.R.Tool.Version}}, report schema {{.R.SchemaVersion}}</dd>
</dl>

<h2>Counts per flow and level</h2>
<table id="counts">
<thead><tr><th>flow</th><th>level</th>{{range .Outcomes}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{if .Total}}<th>total</th><th>{{.Level}}</th>{{range .N}}<th>{{.}}</th>{{end}}{{else}}<td>{{.Flow}}</td><td>{{.Level}}</td>{{range .N}}<td>{{.}}</td>{{end}}{{end}}</tr>
{{end}}</tbody>
</table>

<h2>Checks</h2>
<div class="filters" id="filters">
{{range $i, $o := .Outcomes}}<label><input type="checkbox" value="{{index $.StatusIDs $i}}" checked> {{$o}} ({{index $.ByStatus $i}})</label>
{{end}}<span class="src">(open this file with #only=failed,not-run to start with only those)</span>
</div>
<div id="checks">
{{range .Checks}}<section class="check {{.VerdictClass}} {{lower .Level}}" data-status="{{.VerdictClass}}">
<div class="head"><span class="id">{{.ID}}</span><span class="badge {{.Level}}">{{.Level}}</span><span class="badge {{.VerdictClass}}">{{.Verdict}}</span><span>{{.Flow}}</span>{{with .Operation}}<span class="op">{{.}}</span>{{end}}</div>
<p class="rule">{{.Rule}}</p>
{{with .Source}}<p class="src">source: {{.}}</p>{{end}}
{{with .Message}}<pre>{{.}}</pre>{{end}}
{{with .Lifetime}}<p class="src">{{.Token}} token lifetime: expected {{human .Expected}}, observed {{human .Observed}}, tolerance {{human .Tolerance}}, measured from {{.MeasuredFrom}}{{with .Source}}; expected value from {{.}}{{end}}</p>{{end}}
{{.SVG}}
</section>
{{end}}</div>
<footer>Written by {{.R.Tool.Name}} {{.R.Tool.Version}}. Self-contained: this page loads nothing from the network.</footer>
</main>
<script>
(function(){
  var boxes = document.querySelectorAll('#filters input');
  function apply(){
    var on = {};
    boxes.forEach(function(b){ on[b.value] = b.checked; });
    document.querySelectorAll('#checks .check').forEach(function(c){
      c.hidden = !on[c.getAttribute('data-status')];
    });
  }
  boxes.forEach(function(b){ b.addEventListener('change', apply); });
  // report.html#only=failed,not-run opens with only those statuses shown.
  var m = /only=([a-z,-]+)/.exec(location.hash);
  if (m) {
    var want = m[1].split(',');
    boxes.forEach(function(b){ b.checked = want.indexOf(b.value) >= 0; });
  }
  apply();
  document.documentElement.setAttribute('data-filters', 'on');
})();
</script>
</body>
</html>
`
