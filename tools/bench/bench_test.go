package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const mi = 1 << 20

func TestJudgeGrowth(t *testing.T) {
	flat := []int64{30 * mi, 31 * mi, 30 * mi, 32 * mi, 30 * mi, 31 * mi, 30 * mi, 31 * mi, 30 * mi}
	cases := []struct {
		name    string
		samples []int64
		grew    bool
	}{
		{"flat", flat, false},
		// 30 MiB first third: limit 30 + 3 + 2 = 35 MiB.
		{"within tolerance", []int64{30 * mi, 30 * mi, 30 * mi, 32 * mi, 33 * mi, 34 * mi, 35 * mi, 35 * mi, 35 * mi}, false},
		{"growth", []int64{30 * mi, 30 * mi, 30 * mi, 33 * mi, 34 * mi, 35 * mi, 36 * mi, 36 * mi, 36 * mi}, true},
		{"shrinks", []int64{40 * mi, 40 * mi, 40 * mi, 35 * mi, 35 * mi, 35 * mi, 30 * mi, 30 * mi, 30 * mi}, false},
		// One spike in the last third does not move its median.
		{"spike", []int64{30 * mi, 30 * mi, 30 * mi, 30 * mi, 30 * mi, 30 * mi, 30 * mi, 90 * mi, 30 * mi}, false},
	}
	for _, c := range cases {
		g, err := judgeGrowth(c.samples)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if g.grew != c.grew {
			t.Errorf("%s: grew = %v, want %v (%s)", c.name, g.grew, c.grew, g)
		}
	}
	if _, err := judgeGrowth(flat[:5]); err == nil {
		t.Error("5 samples: no error; thirds of one sample are no median")
	}
}

func TestJudgeGrowthLimit(t *testing.T) {
	g, err := judgeGrowth([]int64{100 * mi, 100 * mi, 100 * mi, 100 * mi, 100 * mi, 100 * mi})
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(112 * mi); g.limit != want {
		t.Errorf("limit = %d, want %d (100 MiB + 10 %% + 2 MiB)", g.limit, want)
	}
}

func TestEveryScenarioHasATarget(t *testing.T) {
	for _, sc := range scenarios() {
		if _, ok := flowTargets[sc.name]; !ok {
			t.Errorf("scenario %q has no entry in flowTargets", sc.name)
		}
	}
	if len(flowTargets) != len(scenarios()) {
		t.Errorf("flowTargets has %d entries for %d scenarios", len(flowTargets), len(scenarios()))
	}
}

func find(t *testing.T, vs []verdict, prefix string) verdict {
	t.Helper()
	for _, v := range vs {
		if strings.HasPrefix(v.target, prefix) {
			return v
		}
	}
	t.Fatalf("no verdict %q in %v", prefix, vs)
	return verdict{}
}

// TestPairedRatios: ratios are taken within each round, then their median; a round where both
// servers slowed down (a neighbour on the machine) moves neither.
func TestPairedRatios(t *testing.T) {
	run := func(rps float64, p99 time.Duration) result {
		n := int(rps)
		lat := make([]time.Duration, 100)
		for i := range lat {
			lat[i] = p99 / 2
		}
		lat[99] = p99
		return result{requests: n, elapsed: time.Second, latencies: lat}
	}
	ms := time.Millisecond
	bare := []result{run(10000, 10*ms), run(5000, 20*ms), run(10000, 10*ms)}
	mock := []result{run(7000, 14*ms), run(3500, 28*ms), run(8000, 12*ms)}
	ratio, p99 := pairedRatios(bare, mock)
	if ratio != 0.7 || p99 != 1.4 {
		t.Errorf("pairedRatios = %.3f, %.3f; want 0.7, 1.4 (the median round)", ratio, p99)
	}
	if r, p := pairedRatios(nil, nil); r != 0 || p != 0 {
		t.Errorf("no rounds: %v %v", r, p)
	}
}

func TestVerdicts(t *testing.T) {
	ms := time.Millisecond
	m := measurements{
		rows: []row{
			{flow: "login", target: "bare", rps: 10000, p99: 10 * ms},
			{flow: "login", target: "floor", rps: 7000, p99: 14 * ms, ratio: 0.7, p99Ratio: 1.4},
			{flow: "login", target: "mock", rps: 5900, p99: 16 * ms, ratio: 0.59, p99Ratio: 1.6, floorRatio: 0.84},
			{flow: "protected GET", target: "bare", rps: 10000, p99: 10 * ms},
			{flow: "protected GET", target: "floor", rps: 8000, p99: 14 * ms, ratio: 0.8, p99Ratio: 1.4},
			{flow: "protected GET", target: "mock", rps: 7500, p99: 15 * ms, ratio: 0.75, p99Ratio: 1.5, floorRatio: 0.94},
		},
		coldStart:   39 * ms,
		idleRSS:     40_000_000,
		sessions:    1_000_000,
		sessionsRSS: 50 << 20,
		soak:        &growth{first: 30 * mi, last: 40 * mi, limit: 35 * mi, grew: true},
		conformance: 400 * ms,
		sandboxCall: &sandboxCall{ratio: 0.89},
		sandboxes:   &sandboxMemory{n: 1000, before: 25_000_000, after: 124_000_000},
		failed:      map[string]string{},
	}
	vs := verdicts(m)
	for _, c := range []struct {
		prefix, status string
	}{
		{"login: req/s", "NOT met"},                    // 0.59 < 0.6
		{"protected GET: req/s", "met"},                // 0.75 >= 0.75
		{"login: p99", "NOT met"},                      // 1.6 > 1.5
		{"protected GET: p99", "met"},                  // 1.5 <= 1.5
		{"login: req/s >= 0.90x floor", "NOT met"},     // 0.84 < 0.9
		{"protected GET: req/s >= 0.90x floor", "met"}, // 0.94 >= 0.9
		{"cold start", "met"},                          // 39 < 40 ms
		{"idle RSS", "NOT met"},                        // 40 MB is not < 40 MB
		{"RSS after 1M", "met"},                        // 52 MB
		{"no RSS growth", "NOT met"},                   // grew
		{"conformance run", "met"},                     // 0.4 s
		{"protected call in a sandbox", "NOT met"},     // 0.89 < 0.9
		{"1000 idle sandboxes", "met"},                 // 99 MB < 100 MB
	} {
		if got := find(t, vs, c.prefix).status(); got != c.status {
			t.Errorf("%s: %s, want %s", c.prefix, got, c.status)
		}
	}

	m.sandboxCall.ratio, m.sandboxes.after = 0.9, 125_000_000
	if got := find(t, verdicts(m), "protected call in a sandbox").status(); got != "met" {
		t.Errorf("a sandbox call at 0.90 of the default's: %s", got)
	}
	if got := find(t, verdicts(m), "1000 idle sandboxes").status(); got != "NOT met" {
		t.Errorf("100 MB added by 1000 sandboxes: %s", got)
	}
	m.sandboxes.n = 10
	if got := find(t, verdicts(m), "1000 idle sandboxes").status(); !strings.HasPrefix(got, "not judged") {
		t.Errorf("10 sandboxes judged against the 1000 target: %s", got)
	}
	m.sessions = 1000
	if got := find(t, verdicts(m), "RSS after 1M").status(); !strings.HasPrefix(got, "not judged") {
		t.Errorf("1000 sessions judged against the 1M target: %s", got)
	}
	m.failed[phaseConformance] = "exit status 1"
	m.conformance = 0
	if got := find(t, verdicts(m), "conformance run").status(); !strings.HasPrefix(got, "FAILED") {
		t.Errorf("failed conformance phase: %s", got)
	}
	if got := find(t, verdicts(measurements{}), "no RSS growth").status(); got != "not measured" {
		t.Errorf("skipped soak: %s", got)
	}

	var out bytes.Buffer
	printVerdicts(&out, m)
	for _, want := range []string{"verdict (issue 9, 15 and 17 targets)", "NOT met", "FAILED", "1 phase(s) failed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("verdict block lacks %q:\n%s", want, out.String())
		}
	}
}

func TestConformTarget(t *testing.T) {
	example := []byte(`spec: efalia
baseURL: http://127.0.0.1:8080/workey/api
accounts:
  valid: {username: alice, password: alice-password}
  other: {username: bob, password: bob-password}
expect:
  accessTokenLifetime: 1h
`)
	extra := map[string]map[string]string{
		"disabled": {"username": "erin.off", "password": "erin-password"},
		"valid":    {"username": "mallory", "password": "x"}, // the example's own role is kept
	}
	out, err := conformTarget(example, "http://127.0.0.1:4321", extra)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		BaseURL  string                       `yaml:"baseURL"`
		Accounts map[string]map[string]string `yaml:"accounts"`
		Expect   map[string]string            `yaml:"expect"`
	}
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.BaseURL != "http://127.0.0.1:4321/workey/api" {
		t.Errorf("baseURL %q", got.BaseURL)
	}
	if got.Accounts["disabled"]["username"] != "erin.off" || got.Accounts["valid"]["username"] != "alice" {
		t.Errorf("accounts %v", got.Accounts)
	}
	if got.Expect["accessTokenLifetime"] != "1h" {
		t.Errorf("expect lost: %v", got.Expect)
	}
	if _, err := conformTarget([]byte("baseURL: https://staging.example/\naccounts: {}\n"), "http://x", nil); err == nil {
		t.Error("a baseURL that is not the examples' was rewritten")
	}
}

// The mock's --config must hold every account the conformance targets add.
func TestBenchConfigHasConformAccounts(t *testing.T) {
	var cfg struct {
		Specs map[string]struct {
			Accounts []map[string]any `yaml:"accounts"`
		} `yaml:"specs"`
	}
	if err := yaml.Unmarshal([]byte(benchConfig()), &cfg); err != nil {
		t.Fatal(err)
	}
	state := map[string]string{"disabled": "disabled", "expired": "passwordExpired"}
	for spec, roles := range conformExtraAccounts {
		for role, fields := range roles {
			found := false
			for _, a := range cfg.Specs[spec].Accounts {
				match := a["state"] == state[role]
				for k, v := range fields {
					match = match && a[k] == v
				}
				found = found || match
			}
			if !found {
				t.Errorf("%s: no %s account %v with state %s in benchConfig", spec, role, fields, state[role])
			}
		}
	}
	if n := len(cfg.Specs["precrime"].Accounts); n != benchAccounts+4 {
		t.Errorf("precrime has %d accounts, want the 4 of the conformance run and %d bench accounts", n, benchAccounts)
	}
}

func TestPrismCompatSpec(t *testing.T) {
	in := []byte("content:\n  '*/*':\n    schema: {}\n  application/json:\n    schema: {}\n")
	out, change := prismCompatSpec(in)
	if bytes.Contains(out, []byte("*/*")) || !strings.Contains(change, "1 response media type") {
		t.Errorf("got %q, %q", out, change)
	}
	if _, change := prismCompatSpec([]byte("content: {}\n")); change != "served as is" {
		t.Errorf("unchanged spec: %q", change)
	}
}
