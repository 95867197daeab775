package reports

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// Signature is the certification of a report: an Ed25519 signature (JWS, alg EdDSA) over the
// report's canonical form.
//
// The canonical form of a report is the bytes WriteJSON writes for it without its signature:
// checks sorted by flow, operation, ID and rule; times in UTC; two-space indentation, members in
// the order of doc.go, no HTML escaping, one final newline. A signed report file is exactly the
// bytes WriteJSON writes for the report with its signature, which is the last member; Verify
// refuses a file that differs from that by a single byte, even a space.
//
// The JWS payload carries the SHA-256 of the canonical form and the canonical report itself, so
// Verify can say which field of a tampered report no longer matches what was signed.
type Signature struct {
	Alg   string `json:"alg"`   // always EdDSA (Ed25519)
	KeyID string `json:"keyId"` // Fingerprint of the public key that verifies it
	JWS   string `json:"jws"`   // compact JWS; payload: iss, sub (spec name), iat (run end), reportSha256, report
}

// signedClaims is the JWS payload.
type signedClaims struct {
	jwt.RegisteredClaims
	ReportSHA256 string          `json:"reportSha256"`
	Report       json.RawMessage `json:"report"`
}

// Canonical returns the canonical form of the report: WriteJSON's bytes without the signature.
func Canonical(r *Report) ([]byte, error) {
	c := *r
	c.Signature = nil
	var b bytes.Buffer
	if err := WriteJSON(&b, &c); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Fingerprint names a public key: the first 16 bytes of the SHA-256 of its 32 raw bytes, in hex.
func Fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:16])
}

// Sign sets r.Signature: an EdDSA JWS over r's canonical form, made with key. Ed25519 is
// deterministic, so the same report and key give the same signature.
func Sign(r *Report, key ed25519.PrivateKey) error {
	if len(key) != ed25519.PrivateKeySize {
		return errors.New("not an Ed25519 private key")
	}
	canon, err := Canonical(r)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(canon)
	pub := key.Public().(ed25519.PublicKey)
	claims := signedClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:   r.Tool.Name + " " + r.Tool.Version,
			Subject:  r.Spec.Name,
			IssuedAt: jwt.NewNumericDate(r.Finished.UTC()),
		},
		ReportSHA256: hex.EncodeToString(sum[:]),
		Report:       json.RawMessage(canon),
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = Fingerprint(pub)
	jws, err := tok.SignedString(key)
	if err != nil {
		return fmt.Errorf("signing the report: %w", err)
	}
	r.Signature = &Signature{Alg: jwt.SigningMethodEdDSA.Alg(), KeyID: Fingerprint(pub), JWS: jws}
	return nil
}

// WriteSigned writes a signed report: WriteJSON with the signature as the last member.
func WriteSigned(r *Report, key ed25519.PrivateKey) ([]byte, error) {
	c := *r
	if err := Sign(&c, key); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, &c); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// VerifyError says why a signed report does not verify: every problem found, most telling first.
type VerifyError struct{ Problems []string }

func (e *VerifyError) Error() string {
	return "the report does not verify:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// Verify checks a signed report file against a public key. It returns the report when the
// signature is valid and the file is exactly what was signed; otherwise a *VerifyError (or the
// error of a file that is not a report) saying what does not match: the key, the signature, the
// fields whose values differ from the signed ones, or the bytes that differ from the canonical
// encoding.
func Verify(data []byte, pub ed25519.PublicKey) (*Report, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("not an Ed25519 public key")
	}
	r, err := ReadJSON(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if r.Signature == nil {
		return nil, &VerifyError{[]string{"the report is not signed (it has no signature member): it was not certified"}}
	}
	var problems []string
	sig := r.Signature
	if sig.Alg != jwt.SigningMethodEdDSA.Alg() {
		problems = append(problems, fmt.Sprintf("signature.alg is %q, not %q", sig.Alg, jwt.SigningMethodEdDSA.Alg()))
	}
	if sig.KeyID != Fingerprint(pub) {
		problems = append(problems, fmt.Sprintf("signature.keyId is %s but the given key is %s: the report was signed with another key, or keyId was edited", sig.KeyID, Fingerprint(pub)))
	}
	var claims signedClaims
	_, jerr := jwt.ParseWithClaims(sig.JWS, &claims, func(t *jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}), jwt.WithStrictDecoding(), jwt.WithoutClaimsValidation())
	if jerr != nil {
		problems = append(problems, "signature.jws does not verify with the given key: "+jerr.Error())
	}
	if kid, _ := jwsHeaderKid(sig.JWS); jerr == nil && kid != sig.KeyID {
		problems = append(problems, fmt.Sprintf("signature.keyId %s differs from the signed key id %s", sig.KeyID, kid))
	}
	canon, err := Canonical(r)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(canon)
	if jerr != nil {
		// The payload cannot be trusted, but comparing with it still tells the reader what moved.
		var uc signedClaims
		if _, _, err := jwt.NewParser().ParseUnverified(sig.JWS, &uc); err == nil && uc.ReportSHA256 != hex.EncodeToString(sum[:]) {
			for _, d := range diffJSON(uc.Report, canon) {
				problems = append(problems, "differs from the report inside the signature (unverified, since the signature does not verify): "+d)
			}
		}
	} else {
		if claims.ReportSHA256 != hex.EncodeToString(sum[:]) {
			diffs := diffJSON(claims.Report, canon)
			if len(diffs) == 0 {
				diffs = []string{"the content differs from the signed content (SHA-256 " + claims.ReportSHA256 + ", file " + hex.EncodeToString(sum[:]) + ")"}
			}
			for _, d := range diffs {
				problems = append(problems, "changed after signing: "+d)
			}
		}
	}
	// Byte for byte: the file must be the canonical encoding of its own content.
	var again bytes.Buffer
	if err := WriteJSON(&again, r); err != nil {
		return nil, err
	}
	if !bytes.Equal(again.Bytes(), data) {
		problems = append(problems, "the file is not the canonical encoding of its content: "+firstDifference(data, again.Bytes()))
	}
	if len(problems) > 0 {
		return r, &VerifyError{problems}
	}
	return r, nil
}

func jwsHeaderKid(jws string) (string, error) {
	p := jwt.NewParser()
	t, _, err := p.ParseUnverified(jws, &jwt.RegisteredClaims{})
	if err != nil {
		return "", err
	}
	kid, _ := t.Header["kid"].(string)
	return kid, nil
}

// firstDifference describes where two byte strings first differ, by line and column of a.
func firstDifference(a, b []byte) string {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	line := 1 + bytes.Count(a[:i], []byte("\n"))
	col := i - bytes.LastIndexByte(a[:i], '\n')
	switch {
	case i == len(a):
		return fmt.Sprintf("the file ends early at line %d", line)
	case i == len(b):
		return fmt.Sprintf("extra bytes after the end, from line %d", line)
	}
	return fmt.Sprintf("line %d, column %d (byte %d): found %q where the canonical form has %q", line, col, i, a[i], b[i])
}

// diffJSON lists the JSON paths where two documents differ, with both values (the signed one
// first). Checks are named by their ID and operation, so the path says which rule was edited.
func diffJSON(signed, file []byte) []string {
	var a, b any
	if json.Unmarshal(signed, &a) != nil || json.Unmarshal(file, &b) != nil {
		return nil
	}
	var out []string
	diffValue("", a, b, &out)
	return out
}

func diffValue(path string, a, b any, out *[]string) {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			p := k
			if path != "" {
				p = path + "." + k
			}
			x, inA := av[k]
			y, inB := bv[k]
			switch {
			case !inA:
				*out = append(*out, fmt.Sprintf("%s: not signed, now %s", p, short64(y)))
			case !inB:
				*out = append(*out, fmt.Sprintf("%s: signed %s, now absent", p, short64(x)))
			default:
				diffValue(p, x, y, out)
			}
		}
		return
	case []any:
		bv, ok := b.([]any)
		if !ok {
			break
		}
		if len(av) != len(bv) {
			*out = append(*out, fmt.Sprintf("%s: %d entries signed, %d now", path, len(av), len(bv)))
			return
		}
		for i := range av {
			diffValue(fmt.Sprintf("%s[%d]%s", path, i, checkName(av[i])), av[i], bv[i], out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, fmt.Sprintf("%s: signed %s, now %s", path, short64(a), short64(b)))
	}
}

// checkName is " (ID operation)" for a check object, so a path names its rule.
func checkName(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	id, _ := m["id"].(string)
	if id == "" {
		return ""
	}
	if op, _ := m["operation"].(string); op != "" {
		return " (" + id + " " + op + ")"
	}
	return " (" + id + ")"
}

func short64(v any) string {
	b, _ := json.Marshal(v)
	s := string(b)
	if len(s) > 64 {
		s = s[:61] + "..."
	}
	return s
}

// GenerateKey makes an Ed25519 key pair, PEM encoded: the private key as PKCS #8 ("PRIVATE
// KEY"), the public key as PKIX ("PUBLIC KEY"), the forms openssl reads.
func GenerateKey() (privPEM, pubPEM []byte, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	pk, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	pb, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pb}), nil
}

// ParsePrivateKey reads a PEM PKCS #8 Ed25519 private key.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	blk, _ := pem.Decode(data)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM \"PRIVATE KEY\" block (authconform report keygen writes one)")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the key is a %T, not an Ed25519 key", k)
	}
	return ek, nil
}

// ParsePublicKey reads a PEM PKIX Ed25519 public key.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	blk, _ := pem.Decode(data)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, errors.New("not a PEM \"PUBLIC KEY\" block (authconform report keygen writes one)")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("the key is a %T, not an Ed25519 key", k)
	}
	return ek, nil
}
