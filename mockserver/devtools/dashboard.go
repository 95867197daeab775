package devtools

import (
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/authconform/authconform/mockserver"
)

// The dashboard: plain HTML, CSS and JavaScript embedded in the binary, served at AdminPrefix
// (index) and AdminPrefix + "ui/" (its files). It talks only to the admin API of the mock that
// served it; the Content-Security-Policy says so to the browser. The OpenAPI document of the
// admin API is served at AdminPrefix + "openapi.yaml". These three need no admin token (they hold
// no state); the dashboard asks for the token when the admin API answers 401. Like every admin
// answer they pass the admin guard (adminguard.go) and are not cached (Cache-Control: no-store).

//go:embed dashboard
var dashboardFS embed.FS

//go:embed adminapi.yaml
var adminOpenAPI []byte

const dashboardCSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// serveDashboard serves the dashboard's files and the OpenAPI document (adminRoutes routes only
// their GET here).
func (d *tooling) serveDashboard(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, mockserver.AdminPrefix)
	var name string
	var data []byte
	switch {
	case p == "" || p == "index.html":
		name = "index.html"
	case strings.HasPrefix(p, "ui/"):
		name = strings.TrimPrefix(p, "ui/")
	case p == "openapi.yaml":
		name, data = p, adminOpenAPI
	default:
		adminUnknown(w, r)
		return
	}
	if data == nil {
		clean := path.Clean("/" + name)[1:]
		b, err := fs.ReadFile(dashboardFS, "dashboard/"+clean)
		if err != nil || clean == "" {
			mockserver.WritePlain(w, http.StatusNotFound, "no dashboard file "+name)
			return
		}
		data = b
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if path.Ext(name) == ".yaml" {
		ct = "application/yaml"
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Security-Policy", dashboardCSP)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(data)
	}
}
