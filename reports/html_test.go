package reports

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestHumanSeconds(t *testing.T) {
	tests := []struct {
		name string
		in   float64
		want string
	}{
		{"a day", 86400, "24h"},
		{"thirty days", 30 * 86400, "30d"},
		{"an hour", 3600, "1h"},
		{"a minute", 60, "1m"},
		{"mixed", 3661, "1h1m1s"},
		{"zero", 0, "0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := humanSeconds(tt.in); got != tt.want {
				t.Errorf("humanSeconds(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestHTMLIsSelfContained: nothing in the page can fetch from the network, and every check,
// rule and message is in it.
func TestHTMLIsSelfContained(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, sample()); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:)?//|url\(|@import|fetch\(|XMLHttpRequest|<link|<iframe|<img`).FindString(page); m != "" {
		t.Errorf("the page can fetch something: %q", m)
	}
	for _, c := range sample().Checks {
		if !strings.Contains(page, ">"+c.ID+"<") || !strings.Contains(page, c.Rule) {
			t.Errorf("the page lacks check %s or its rule", c.ID)
		}
	}
	if !strings.Contains(page, "got 200 &lt;with &amp; &#34;quotes&#34;&gt;") {
		t.Error("a message is not escaped as HTML")
	}
	if !strings.Contains(page, "max-width:60rem") || !strings.Contains(page, "overflow-wrap:anywhere") {
		t.Error("the layout no longer bounds its width or wraps long words")
	}
}

// TestHTMLInChromium opens the page in headless Chromium (Debian's chromium package; CI installs
// it) and reads the DOM after the script ran: the verdict shows, and #only=failed hides the
// other checks.
func TestHTMLInChromium(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not on PATH (apt-get install chromium); the HTML report is not checked in a browser")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var b bytes.Buffer
	if err := WriteHTML(&b, sample()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	dump := func(url string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
			"--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", url)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium: %v\n%s", err, errb.String())
		}
		return out.String()
	}
	dom := dump("file://" + page)
	if !strings.Contains(dom, "Verdict: FAIL") {
		t.Errorf("the rendered page does not show the verdict:\n%.2000s", dom)
	}
	if !strings.Contains(dom, `data-filters="on"`) {
		t.Error("the filter script did not run")
	}
	dom = dump("file://" + page + "#only=failed")
	passed := regexp.MustCompile(`<section class="check passed[^"]*" data-status="passed"( hidden="")?>`).FindAllStringSubmatch(dom, -1)
	if len(passed) == 0 {
		t.Fatal("no passed check in the DOM")
	}
	for _, m := range passed {
		if m[1] == "" {
			t.Error("#only=failed left a passed check visible")
		}
	}
	if !regexp.MustCompile(`data-status="failed">`).MatchString(dom) {
		t.Error("#only=failed hid the failed checks")
	}
}
