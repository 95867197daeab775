package mockserver

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
)

// decodeWithEncodingJSON is what decodeJSONBody stands in for: encoding/json's Decoder with
// UseNumber, and nothing but white space after the value.
func decodeWithEncodingJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, io.ErrUnexpectedEOF // any error: only its presence is compared
	}
	return v, nil
}

var jsonDecodeCases = []string{
	`{"username":"user","password":"pass"}`, ` {"a" : 1 , "b":[true,false,null] } `, `{}`, `[]`, `[[]]`, `{"a":{}}`,
	`"plain"`, `"esc \" \\ \/ \b \f \n \r \t"`, `"\u00e9\u20AC"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`,
	`"\ud83d\u0041"`, `"\ude00\ud83d"`, `"\ud83d\ud83d\ude00"`, `"\uZZZZ"`, `"\u12"`, `"\x"`, "\"tab\tin\"",
	"\"bad \xff utf8\"", "\"\xed\xa0\x80\"", "\"ok é €\"", `"\ufffd"`, "\"\xef\xbf\xbd\"",
	`0`, `-0`, `12`, `-1.5e10`, `1E+2`, `1e-2`, `01`, `-`, `1.`, `.5`, `+1`, `1e`, `1e+`, `-a`, `2.50`,
	`true`, `false`, `null`, `tru`, `nul`, `truex`, `nullnull`, `[1,]`, `{"a":1,}`, `{,}`, `{"a"}`, `{"a":}`,
	`{"a" 1}`, `{1:2}`, `[1 2]`, `{"a":1}{"b":2}`, `{"a":1} x`, `{"a":1}   `, ``, `   `, "\xef\xbb\xbf{}",
	`{"a":1,"a":2}`, `{"":""}`, `[`, `{`, `"`, `"abc`, `{"a":[1,{"b":"c"}]}`, "\"\x00\"", "{\"a\":1}\x00",
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000), strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000), strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
}

func checkDecode(t *testing.T, body []byte) {
	t.Helper()
	got, gotErr := decodeJSONBody(body)
	want, wantErr := decodeWithEncodingJSON(body)
	if (gotErr != nil) != (wantErr != nil) {
		t.Fatalf("%q: decodeJSONBody error %v, encoding/json error %v", trimmed(body), gotErr, wantErr)
	}
	if gotErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: decodeJSONBody = %#v, encoding/json = %#v", trimmed(body), got, want)
	}
}

func trimmed(b []byte) []byte {
	if len(b) > 200 {
		return append(b[:100:100], "..."...)
	}
	return b
}

// TestDecodeJSONBodyMatchesEncodingJSON: the same values and the same refusals.
func TestDecodeJSONBodyMatchesEncodingJSON(t *testing.T) {
	for _, c := range jsonDecodeCases {
		checkDecode(t, []byte(c))
	}
	if v, _ := decodeJSONBody([]byte(`1.50`)); v != json.Number("1.50") {
		t.Errorf("decodeJSONBody(1.50) = %#v, want json.Number 1.50", v)
	}
}

// FuzzDecodeJSONBody holds decodeJSONBody to encoding/json on arbitrary bodies.
func FuzzDecodeJSONBody(f *testing.F) {
	for _, c := range jsonDecodeCases {
		if len(c) < 1000 {
			f.Add([]byte(c))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkDecode(t, body) })
}
