package mockserver

import (
	"encoding/json"
	"errors"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeJSONBody decodes a request body holding one JSON value, as encoding/json's Decoder with
// UseNumber decodes it into an `any` (objects as map[string]any, arrays as []any, numbers as
// json.Number, the last of duplicate members kept, invalid UTF-8 and lone surrogates in strings
// replaced by U+FFFD, at most 10,000 levels deep), and refuses anything after the value but white
// space. It exists because encoding/json scans a body twice and goes through reflection, which
// was a fifth of a refresh that carries its token in the body (docs/benchmarks.md);
// FuzzDecodeJSONBody holds the two to the same values and the same refusals. Errors only say
// where the body stops being JSON: the caller answers "not valid JSON" whatever they say.
func decodeJSONBody(body []byte) (any, error) {
	p := jsonParser{data: body}
	p.space()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos < len(p.data) {
		return nil, p.fail("invalid data after the top-level JSON value")
	}
	return v, nil
}

// maxJSONDepth is encoding/json's limit on nesting.
const maxJSONDepth = 10000

type jsonParser struct {
	data []byte
	pos  int
}

type jsonSyntaxError struct {
	msg    string
	offset int
}

func (e *jsonSyntaxError) Error() string { return e.msg }

func (p *jsonParser) fail(msg string) error { return &jsonSyntaxError{msg: msg, offset: p.pos} }

var errJSONEnd = errors.New("unexpected end of JSON input")

func (p *jsonParser) space() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (any, error) {
	if p.pos >= len(p.data) {
		return nil, errJSONEnd
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		return p.string()
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	}
	return nil, p.fail("invalid character looking for the beginning of a value")
}

func (p *jsonParser) literal(word string) error {
	if len(p.data)-p.pos < len(word) {
		for i := 0; p.pos+i < len(p.data); i++ {
			if p.data[p.pos+i] != word[i] {
				return p.fail("invalid character in literal " + word)
			}
		}
		return errJSONEnd
	}
	if string(p.data[p.pos:p.pos+len(word)]) != word {
		return p.fail("invalid character in literal " + word)
	}
	p.pos += len(word)
	return nil
}

func (p *jsonParser) object(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, p.fail("exceeded max depth")
	}
	p.pos++ // {
	m := map[string]any{}
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return m, nil
	}
	for {
		if p.pos >= len(p.data) {
			return nil, errJSONEnd
		}
		if p.data[p.pos] != '"' {
			return nil, p.fail("invalid character looking for the beginning of an object key")
		}
		key, err := p.string()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.pos >= len(p.data) {
			return nil, errJSONEnd
		}
		if p.data[p.pos] != ':' {
			return nil, p.fail("invalid character after an object key")
		}
		p.pos++
		p.space()
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		m[key.(string)] = v
		done, err := p.more('}', "object member")
		if err != nil {
			return nil, err
		}
		if done {
			return m, nil
		}
	}
}

// more reads what follows a member or an element: a comma (more to come) or the closing
// bracket (done).
func (p *jsonParser) more(closing byte, what string) (done bool, err error) {
	p.space()
	if p.pos >= len(p.data) {
		return false, errJSONEnd
	}
	switch p.data[p.pos] {
	case ',':
		p.pos++
		p.space()
		return false, nil
	case closing:
		p.pos++
		return true, nil
	}
	return false, p.fail("invalid character after an " + what)
}

func (p *jsonParser) array(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, p.fail("exceeded max depth")
	}
	p.pos++ // [
	a := []any{}
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return a, nil
	}
	for {
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		done, err := p.more(']', "array element")
		if err != nil {
			return nil, err
		}
		if done {
			return a, nil
		}
	}
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? as written.
func (p *jsonParser) number() (any, error) {
	start := p.pos
	digits := func() int {
		n := 0
		for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	need := func() error { // a digit must follow
		if p.pos >= len(p.data) {
			return errJSONEnd
		}
		return p.fail("invalid character in numeric literal")
	}
	if p.data[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos < len(p.data) && p.data[p.pos] == '0':
		p.pos++
	case digits() == 0:
		return nil, need()
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return nil, need()
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return nil, need()
		}
	}
	return json.Number(p.data[start:p.pos]), nil
}

// string reads a quoted string. Plain text (printable ASCII without escapes) is copied once;
// anything else is unquoted as encoding/json does.
func (p *jsonParser) string() (any, error) {
	p.pos++ // "
	start := p.pos
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			s := string(p.data[start:p.pos])
			p.pos++
			return s, nil
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return p.slowString(start)
		}
		p.pos++
	}
	return nil, errJSONEnd
}

func (p *jsonParser) slowString(start int) (any, error) {
	b := make([]byte, p.pos-start, p.pos-start+64)
	copy(b, p.data[start:p.pos])
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(b), nil
		case c < 0x20:
			return nil, p.fail("invalid character in string literal")
		case c == '\\':
			p.pos++
			if p.pos >= len(p.data) {
				return nil, errJSONEnd
			}
			e := p.data[p.pos]
			p.pos++
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, err := p.hex4()
				if err != nil {
					return nil, err
				}
				if utf16.IsSurrogate(r) {
					// A valid pair is one rune; anything else is U+FFFD, and what follows is read on
					// its own (encoding/json's unquote).
					if p.pos+1 < len(p.data) && p.data[p.pos] == '\\' && p.data[p.pos+1] == 'u' {
						save := p.pos
						p.pos += 2
						r2, err := p.hex4()
						if err == nil {
							if dec := utf16.DecodeRune(r, r2); dec != unicode.ReplacementChar {
								b = utf8.AppendRune(b, dec)
								continue
							}
						}
						p.pos = save
					}
					r = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, r)
			default:
				return nil, p.fail("invalid character in string escape code")
			}
		case c < utf8.RuneSelf:
			b = append(b, c)
			p.pos++
		default:
			r, size := utf8.DecodeRune(p.data[p.pos:])
			p.pos += size
			b = utf8.AppendRune(b, r) // an invalid byte is U+FFFD
		}
	}
	return nil, errJSONEnd
}

// hex4 reads the four hex digits of a \u escape.
func (p *jsonParser) hex4() (rune, error) {
	var r rune
	for range 4 {
		if p.pos >= len(p.data) {
			return 0, errJSONEnd
		}
		c := p.data[p.pos]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, p.fail("invalid character in \\u hexadecimal character escape")
		}
		r = r<<4 | rune(c)
		p.pos++
	}
	return r, nil
}
