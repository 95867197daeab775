package specs

import (
	"errors"
	"testing"
)

// Every reading of every bundled spec yields a valid spec that differs from the document where
// the reading says, and nowhere it does not.
func TestEveryReadingLoads(t *testing.T) {
	for _, name := range Names() {
		s, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range s.Decisions {
			for _, rd := range d.Readings[min(1, len(d.Readings)):] {
				t.Run(name+"/"+d.ID+"="+rd.Choice, func(t *testing.T) {
					o, err := s.WithReadings(map[string]string{d.ID: rd.Choice})
					if err != nil {
						t.Fatal(err)
					}
					if o.SHA256 != s.SHA256 || o.Readings[d.ID] != rd.Choice {
						t.Errorf("the overlaid spec lost its identity: sha %s, readings %v", o.SHA256, o.Readings)
					}
					if c, _ := o.Reading(d.ID); c != rd.Choice {
						t.Errorf("Reading(%s) = %q, want %q", d.ID, c, rd.Choice)
					}
					if c, _ := s.Reading(d.ID); c != d.Readings[0].Choice {
						t.Errorf("the document's own reading changed to %q", c)
					}
				})
			}
		}
	}
}

func TestReadingsChangeTheModel(t *testing.T) {
	pre, err := Load("precrime")
	if err != nil {
		t.Fatal(err)
	}
	bare, err := pre.WithReadings(map[string]string{"precrime-authorization": "bare", "precrime-authheader-keys": "no"})
	if err != nil {
		t.Fatal(err)
	}
	if got := bare.Schemes["Authorization"].BearerPrefix; got != PrefixNone {
		t.Errorf("bare: bearerPrefix %q, want none", got)
	}
	if bare.Schemes["Authorization"].AcceptsKind(CredAPIKey) {
		t.Error("authheader-keys=no: the scheme still accepts API keys")
	}
	if got := pre.Schemes["Authorization"].BearerPrefix; got != PrefixOptional {
		t.Errorf("the document as written: bearerPrefix %q, want optional", got)
	}

	ef, err := Load("efalia")
	if err != nil {
		t.Fatal(err)
	}
	o, err := ef.WithReadings(map[string]string{"efalia-refresh-rotation": "accepted-until-expiry", "efalia-logout-refresh": "no", "efalia-impersonate": "required"})
	if err != nil {
		t.Fatal(err)
	}
	if op, _ := o.Operation("postRefresh"); op.Flow.Rotate {
		t.Error("accepted-until-expiry: the refresh still rotates")
	}
	if op, _ := o.Operation("postLogout"); op.Flow.EndsRefresh {
		t.Error("logout-refresh=no: logout still ends the refresh token")
	}
	if op, _ := ef.Operation("postLogout"); !op.Flow.EndsRefresh {
		t.Error("the document as written: logout should end the refresh token")
	}
	if o.Schemes["ApiKeyImpersonate"].Optional {
		t.Error("impersonate=required: the header is still optional")
	}
	if ptr := "/paths/~1auth~1refresh/post/x-authconform-flow/rotate"; func() bool { d, ok := ef.DecisionAt(ptr); return !ok || d.ID != "efalia-refresh-rotation" }() {
		t.Errorf("DecisionAt(%s) does not find efalia-refresh-rotation", ptr)
	}
}

func TestWithReadingsRefusesUnknownChoices(t *testing.T) {
	s, err := Load("efalia")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, id, choice string }{
		{"unknown decision", "efalia-nope", "x"},
		{"decision without readings", "efalia-555", "x"},
		{"unknown choice", "efalia-impersonate", "sometimes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.WithReadings(map[string]string{tc.id: tc.choice})
			var re *ReadingError
			if !errors.As(err, &re) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want a ReadingError", err)
			}
		})
	}
}
