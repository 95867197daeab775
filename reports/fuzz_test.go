package reports

import (
	"bytes"
	"crypto/ed25519"
	"io"
	"strings"
	"testing"
)

// A report reaches `report verify` and `report render` from outside (a vendor hands it over), so
// the reader and every renderer face untrusted input.

// hostileMarkup is what a report's text fields may carry; no rendering may let it through as markup.
const hostileMarkup = `<script>alert("x")</script><img src=x onerror=alert(1)>`

// FuzzRender reads arbitrary bytes as a JSON report and renders what it accepts in every format:
// never a panic or an error, and text from the report never becomes markup in the HTML page.
func FuzzRender(f *testing.F) {
	var b bytes.Buffer
	_ = WriteJSON(&b, sample())
	f.Add(b.Bytes())
	r := sample()
	r.Checks[0].Message = hostileMarkup
	r.Checks[0].Rule = hostileMarkup + "]]><!--"
	r.Target.BaseURL = `javascript:alert(1)//"><svg onload=alert(1)>`
	r.Spec.Title = hostileMarkup
	b.Reset()
	_ = WriteJSON(&b, r)
	f.Add(b.Bytes())
	f.Add([]byte(`{"schemaVersion":2,"checks":[{"id":"X","lifetime":{"expected":1e308,"observed":-1e308,"tolerance":0}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		var html bytes.Buffer
		if err := WriteHTML(&html, rep); err != nil {
			t.Fatalf("WriteHTML of an accepted report: %v", err)
		}
		if bytes.Contains(html.Bytes(), []byte("<script>alert")) || bytes.Contains(html.Bytes(), []byte("<img src=x")) || bytes.Contains(html.Bytes(), []byte("<svg onload")) {
			t.Fatalf("text from the report became markup in the HTML page")
		}
		if err := WriteJUnit(io.Discard, rep); err != nil {
			t.Fatalf("WriteJUnit of an accepted report: %v", err)
		}
		if err := WriteSummary(io.Discard, rep); err != nil {
			t.Fatalf("WriteSummary of an accepted report: %v", err)
		}
		for _, c := range rep.Checks {
			_ = CheckLine(c)
		}
	})
}

// FuzzVerify mutates a signed report: Verify never panics, and accepts only the exact bytes that
// were signed.
func FuzzVerify(f *testing.F) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	pub := priv.Public().(ed25519.PublicKey)
	signed, err := WriteSigned(sample(), priv)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(signed)
	f.Add(bytes.Replace(signed, []byte(`"passed"`), []byte(`"failed"`), 1))
	f.Add(bytes.Replace(signed, []byte(`"EdDSA"`), []byte(`"none"`), 1))
	f.Add([]byte(strings.Replace(string(signed), "\n", "\r\n", -1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := Verify(data, pub)
		if err != nil {
			_ = err.Error()
			return
		}
		if rep == nil {
			t.Fatal("Verify returned neither a report nor an error")
		}
		if !bytes.Equal(data, signed) {
			again, err := WriteSigned(rep, priv)
			if err != nil || !bytes.Equal(again, data) {
				t.Fatalf("Verify accepted bytes that differ from what was signed:\n%q", data)
			}
		}
	})
}
