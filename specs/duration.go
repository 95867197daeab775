package specs

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written the way a spec author writes a lifetime: Go's syntax
// ("24h", "90m", "1h30m") plus a day unit ("360d", "1d12h"), since vendors state refresh
// lifetimes in days.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String writes a form ParseDuration reads back: whole days from two days up as "Nd", else Go's.
func (d Duration) String() string {
	td := time.Duration(d)
	const day = 24 * time.Hour
	if td >= 2*day && td%day == 0 {
		return strconv.FormatInt(int64(td/day), 10) + "d"
	}
	// "24h0m0s" reads better as "24h" and "1h30m0s" as "1h30m"; only zero units go ("26m40s" stays).
	out := td.String()
	if strings.HasSuffix(out, "m0s") {
		out = strings.TrimSuffix(out, "0s")
	}
	if strings.HasSuffix(out, "h0m") {
		out = strings.TrimSuffix(out, "0m")
	}
	return out
}

// ParseDuration reads "360d", "24h", "1d12h", "90m" and anything time.ParseDuration accepts.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	orig := s
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var days int64
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || n < 0 || n > 100*366 {
			return 0, fmt.Errorf("%q is not a duration", s)
		}
		days, s = n, s[i+1:]
	}
	var rest time.Duration
	if s != "" {
		var err error
		if rest, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not a duration", s)
		}
	}
	whole := time.Duration(days) * 24 * time.Hour
	if rest > math.MaxInt64-whole { // the sum would wrap to a negative duration
		return 0, fmt.Errorf("%q is longer than a duration can be (%s)", orig, Duration(math.MaxInt64))
	}
	return Duration(whole + rest), nil
}

// MarshalText lets a Duration print in JSON and YAML as the author wrote it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads the same forms as ParseDuration (used by config and target files).
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%w; write it like 24h, 90m or 360d", err)
	}
	*d = v
	return nil
}

// decodeString is how the strict decoder reads a duration.
func (d *Duration) decodeString(s string) error {
	v, err := ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration; write it like 24h, 90m or 360d", s)
	}
	*d = v
	return nil
}
