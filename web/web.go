// Package web serves the browser client: plain ES modules embedded in the
// binary, no bundler and no Node.js at run time.
//
// Every asset lives under a content-hashed prefix (/assets/<hash>/…) where
// the hash covers all embedded files, so relative ES-module imports keep
// working, any change to any file changes every URL, and assets can be cached
// for a year. index.html is rendered with that prefix and never cached; any
// other path that is not an asset and not under /api/ is a client route and
// gets index.html too (the client's router reads location.pathname).
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"sort"
	"strings"
)

//go:embed static
var embedded embed.FS

// assetRoot is the URL path under which hashed assets are served.
const assetRoot = "/assets/"

// Options configures Handler.
type Options struct {
	// Logger receives serving errors; nil discards them.
	Logger *slog.Logger
	// MediaOrigins, if set, returns the signaling URLs (ws(s)://host/rtc)
	// of the SFU nodes the client may be sent to: the page may connect
	// to them (several nodes, internal/cluster).
	MediaOrigins func() []string
	// Files replaces the embedded client (tests); nil serves the embedded one.
	// It must hold index.html at its root.
	Files fs.FS
}

// Handler returns the http.Handler serving the client. It fails only when
// the files cannot be read or index.html is not a valid template.
func Handler(opts Options) (http.Handler, error) {
	files := opts.Files
	if files == nil {
		sub, err := fs.Sub(embedded, "static")
		if err != nil {
			return nil, fmt.Errorf("web: static files: %w", err)
		}
		files = sub
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hash, err := hashFiles(files)
	if err != nil {
		return nil, err
	}
	src, err := fs.ReadFile(files, "index.html")
	if err != nil {
		return nil, fmt.Errorf("web: index.html: %w", err)
	}
	tmpl, err := template.New("index.html").Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("web: parse index.html: %w", err)
	}
	prefix := assetRoot + hash + "/"
	var index bytes.Buffer
	if err := tmpl.Execute(&index, struct{ Assets string }{prefix}); err != nil {
		return nil, fmt.Errorf("web: render index.html: %w", err)
	}
	return &handler{files: files, prefix: prefix, index: index.Bytes(), log: log, media: opts.MediaOrigins}, nil
}

type handler struct {
	files  fs.FS
	prefix string // "/assets/<hash>/"
	index  []byte
	log    *slog.Logger
	media  func() []string
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var media []string
	if h.media != nil {
		media = h.media()
	}
	setSecurityHeaders(w.Header(), r, media)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, h.prefix):
		h.serveAsset(w, r, strings.TrimPrefix(p, h.prefix))
	case strings.HasPrefix(p, assetRoot), p == "/favicon.ico", strings.HasPrefix(p, "/api/"):
		// An asset of another build (or a stray API path): a plain 404, never
		// index.html, so a stale script fails loudly instead of parsing HTML.
		http.NotFound(w, r)
	default:
		h.serveIndex(w, r)
	}
}

func (h *handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := w.Write(h.index); err != nil {
		h.log.Debug("web: write index", "error", err)
	}
}

func (h *handler) serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	if name == "" || name == "index.html" || !fs.ValidPath(name) || strings.HasSuffix(name, "/") {
		http.NotFound(w, r)
		return
	}
	data, err := fs.ReadFile(h.files, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", contentType(name))
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	// http.ServeContent handles Range and HEAD; the zero modtime leaves out
	// Last-Modified (the URL itself is the version).
	http.ServeContent(w, r, name, zeroTime, bytes.NewReader(data))
}

// contentType is explicit rather than mime.TypeByExtension so the answer
// does not depend on the host's /etc/mime.types (.mjs was missing on some).
func contentType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".json", ".map":
		return "application/json"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	case ".woff2":
		return "font/woff2"
	case ".wasm":
		return "application/wasm"
	case ".bcmap", ".pfb":
		return "application/octet-stream"
	case ".txt", ".md":
		return "text/plain; charset=utf-8"
	default:
		return "application/octet-stream"
	}
}

// hashFiles hashes every file's path and content, in path order, and keeps
// 16 hex digits: enough that two builds never collide in a browser cache.
func hashFiles(files fs.FS) (string, error) {
	var names []string
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("web: list files: %w", err)
	}
	sort.Strings(names)
	sum := sha256.New()
	for _, n := range names {
		data, err := fs.ReadFile(files, n)
		if err != nil {
			return "", fmt.Errorf("web: read %s: %w", n, err)
		}
		fmt.Fprintf(sum, "%s\x00%d\x00", n, len(data))
		sum.Write(data)
	}
	return hex.EncodeToString(sum.Sum(nil))[:16], nil
}
