package journal

import "testing"

func TestSecretName(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want bool
	}{
		{name: "password field", in: "password", want: true},
		{name: "token header", in: "X-Auth-Token", want: true},
		{name: "API key header", in: "X-API-KEY", want: true},
		{name: "Authorization", in: "Authorization", want: true},
		{name: "refresh token field", in: "refreshToken", want: true},
		{name: "cookie", in: "Set-Cookie", want: true},
		{name: "username", in: "username", want: false},
		{name: "company id", in: "x-company-id", want: false},
		{name: "CORS credentials flag", in: "Access-Control-Allow-Credentials", want: false},
		{name: "the mock's message", in: "X-Authconform-Message", want: false},
		{name: "challenge", in: "WWW-Authenticate", want: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := secretName(tc.in); got != tc.want {
				t.Errorf("secretName(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}
