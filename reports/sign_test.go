package reports

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
)

func testKey(t *testing.T, seed byte) (ed25519.PrivateKey, ed25519.PublicKey) {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	return priv, priv.Public().(ed25519.PublicKey)
}

// small is a signed report small enough to tamper with every byte of.
func small() *Report {
	r := sample()
	r.Checks = r.Checks[:2]
	return r
}

func TestSignVerifyRoundTrip(t *testing.T) {
	priv, pub := testKey(t, 1)
	signed, err := WriteSigned(sample(), priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateJSON(signed); err != nil {
		t.Fatalf("a signed report does not validate against schema.json: %v", err)
	}
	r, err := Verify(signed, pub)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if r.Signature == nil || r.Signature.KeyID != Fingerprint(pub) || len(r.Checks) != len(sample().Checks) {
		t.Errorf("verified report: %+v", r.Signature)
	}
	again, _ := WriteSigned(sample(), priv)
	if !bytes.Equal(signed, again) {
		t.Error("signing is not deterministic for the same report and key")
	}
	golden(t, "report.signed.golden", signed)
}

func TestVerifyRefuses(t *testing.T) {
	priv, pub := testKey(t, 1)
	_, otherPub := testKey(t, 2)
	signed, err := WriteSigned(sample(), priv)
	if err != nil {
		t.Fatal(err)
	}
	var unsigned bytes.Buffer
	_ = WriteJSON(&unsigned, sample())
	tests := []struct {
		name string
		data []byte
		pub  ed25519.PublicKey
		want string
	}{
		{"another key", signed, otherPub, "signed with another key"},
		{"unsigned", unsigned.Bytes(), pub, "not signed"},
		{"status changed", bytes.Replace(signed, []byte(`"status": "failed"`), []byte(`"status": "passed"`), 1), pub, `checks[4] (LOG-05 POST /login).status: signed "failed", now "passed"`},
		{"spec hash changed", bytes.Replace(signed, []byte(`"sha256": "0123`), []byte(`"sha256": "f123`), 1), pub, "spec.sha256: signed"},
		{"indentation changed", bytes.Replace(signed, []byte("\n  \"tool\""), []byte("\n   \"tool\""), 1), pub, "not the canonical encoding"},
		{"member added", bytes.Replace(signed, []byte(`"labelFilter"`), []byte(`"extra": 1, "labelFilter"`), 1), pub, "not a valid report"},
		{"not JSON", []byte("hello"), pub, "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if bytes.Equal(tt.data, signed) && tt.pub == nil {
				t.Fatal("the case changes nothing")
			}
			_, err := Verify(tt.data, tt.pub)
			if err == nil {
				t.Fatal("verified")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error lacks %q:\n%v", tt.want, err)
			}
		})
	}
}

// TestTamperingWithAnyByteIsDetected changes every byte of a signed report, one at a time, and
// requires Verify to refuse each result.
func TestTamperingWithAnyByteIsDetected(t *testing.T) {
	priv, pub := testKey(t, 3)
	signed, err := WriteSigned(small(), priv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(signed, pub); err != nil {
		t.Fatal(err)
	}
	// Flipping the lowest bit changes every byte to another (digit to digit, letter to letter,
	// space to '!'); letters also get their case flipped, which encoding/json's case-insensitive
	// member names would otherwise let through.
	for i := range signed {
		flips := []byte{0x01}
		if c := signed[i] | 0x20; c >= 'a' && c <= 'z' {
			flips = append(flips, 0x20)
		}
		for _, flip := range flips {
			b := bytes.Clone(signed)
			b[i] ^= flip
			if _, err := Verify(b, pub); err == nil {
				t.Errorf("byte %d changed from %q to %q: the report still verifies", i, signed[i], b[i])
			}
		}
	}
	// Cutting the file or adding to it is tampering too.
	for _, b := range [][]byte{signed[:len(signed)-1], append(bytes.Clone(signed), '\n'), append(bytes.Clone(signed), []byte("{}")...)} {
		if _, err := Verify(b, pub); err == nil {
			t.Errorf("a report of %d bytes (signed %d) verifies", len(b), len(signed))
		}
	}
}

func TestKeysRoundTrip(t *testing.T) {
	privPEM, pubPEM, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := WriteSigned(sample(), priv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(signed, pub); err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePrivateKey(pubPEM); err == nil {
		t.Error("a public key parsed as a private key")
	}
	if _, err := ParsePublicKey(privPEM); err == nil {
		t.Error("a private key parsed as a public key")
	}
}

func TestCertificationProblems(t *testing.T) {
	required := []string{"LOG-01", "LOG-05", "OUT-01", "REF-01", "KEY-01"}
	pass := func() *Report {
		r := sample()
		r.Checks = []Check{
			{ID: "LOG-01", Level: MUST, Flow: "login", Operation: "POST /login", Rule: "r", Status: Passed},
			{ID: "LOG-05", Level: MUST, Flow: "login", Operation: "POST /login", Rule: "r", Status: Passed},
			{ID: "LOG-03", Level: SHOULD, Flow: "login", Operation: "POST /login", Rule: "r", Status: Warning, Message: "warn"},
			{ID: "LOG-13", Level: MUST, Flow: "login", Operation: "POST /login", Rule: "r", Status: Warning, Message: "SHOULD (reading x): expected 401"},
			{ID: "OUT-01", Level: MUST, Flow: "logout", Operation: "POST /logout", Rule: "r", Status: Passed},
			{ID: "REF-01", Level: MUST, Flow: "refresh", Rule: "r", Status: NotApplicable, Message: "the spec documents no refresh flow"},
			{ID: "KEY-01", Level: MUST, Flow: "apikey", Rule: "r", Status: Skipped, SkipKind: SkipNotApplicable, Message: "a version 2 report: the spec documents no apikey-create flow"},
		}
		return r
	}
	tests := []struct {
		name   string
		change func(*Report)
		want   string // "" : certifiable
	}{
		{"every MUST passed or does not apply", func(*Report) {}, ""},
		{"a MUST failed", func(r *Report) { r.Checks[1].Status, r.Checks[1].Message = Failed, "got 200" }, "LOG-05 (MUST, login POST /login) failed: got 200"},
		{"a MUST missing input", func(r *Report) {
			r.Checks[1].Status, r.Checks[1].Message = MissingInput, "the target file has no \"other\" account"
		}, "LOG-05 (MUST, login POST /login) is missing input"},
		{"a version 2 skip for a missing input", func(r *Report) {
			r.Checks[1].Status, r.Checks[1].SkipKind, r.Checks[1].Message = Skipped, SkipMissingInput, "why"
		}, "LOG-05 (MUST, login POST /login) is missing input"},
		{"a skip of unknown kind counts as missing input", func(r *Report) { r.Checks[1].Status, r.Checks[1].Message = Skipped, "why" }, "is missing input"},
		{"a MUST not run", func(r *Report) { r.Checks[4].Status, r.Checks[4].Message = NotRun, "not selected by --label-filter" }, "OUT-01 (MUST, logout POST /logout) did not run: not selected"},
		{"a MUST check the report lists as SHOULD", func(r *Report) { r.Checks[0].Level = SHOULD }, "LOG-01 (MUST) did not run: it is not in the report"},
		{"a MUST missing from the report", func(r *Report) { r.Checks = r.Checks[1:] }, "LOG-01 (MUST) did not run: it is not in the report"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := pass()
			tt.change(r)
			got := strings.Join(CertificationProblems(r, required), "\n")
			if tt.want == "" && got != "" {
				t.Errorf("refused: %s", got)
			}
			if !strings.Contains(got, tt.want) || (tt.want != "" && got == "") {
				t.Errorf("problems lack %q:\n%s", tt.want, got)
			}
		})
	}
}

func TestVerifyErrorIsTyped(t *testing.T) {
	_, pub := testKey(t, 1)
	var b bytes.Buffer
	_ = WriteJSON(&b, sample())
	_, err := Verify(b.Bytes(), pub)
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Errorf("%T, want *VerifyError", err)
	}
}
