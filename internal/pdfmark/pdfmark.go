// Package pdfmark stamps a per-recipient watermark on PDF pages: the
// reader's name, unit and the date and time of the download in
// Asia/Ho_Chi_Minh, so that a leaked copy names its reader. The stamp is
// real text in an embedded DejaVu Sans subset (Vietnamese diacritics
// render and extract correctly; pdftotext finds it) drawn above the page
// content: a large faint diagonal line across each page and a small full
// line at the foot. Originals are never changed: Apply writes a new PDF.
package pdfmark

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cau-gov/cau/internal/vntime"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/font"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

//go:embed font/DejaVuSans.ttf
var dejaVuSans []byte

// fontName is the name pdfcpu knows the embedded font by, and the name the
// stamped PDF gives it. It must differ from fonts documents already carry:
// pdfcpu reuses a page's font of the same name (a LibreOffice export embeds
// its own DejaVuSans subset), which fails or lacks our glyphs.
const fontName = "CauWatermarkSans"

// ErrNotPDF means the input could not be read as a PDF.
var ErrNotPDF = errors.New("not a readable PDF")

// Mark is who and when a copy is for.
type Mark struct {
	Name string    // the reader's full name
	Unit string    // the reader's unit
	At   time.Time // the moment of download; shown in Vietnam time
}

// Line is the full watermark text, as printed at the foot of each page.
func (m Mark) Line() string {
	parts := []string{"Bản cấp cho: " + clean(m.Name)}
	if u := clean(m.Unit); u != "" {
		parts = append(parts, u)
	}
	parts = append(parts, vntime.In(m.At).Format("15:04 02/01/2006")+" (giờ Việt Nam)")
	return strings.Join(parts, " – ")
}

// clean drops characters that would break the stamp's description syntax
// or its layout; names are otherwise printed as given.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == ',' || r == ':' || r == '\\':
			return ' '
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// Marker applies watermarks. pdfcpu keeps its font directory in a package
// variable, so the font is installed once per process (see New).
type Marker struct {
	// sem bounds concurrent stamping: each one holds the whole PDF in memory.
	sem chan struct{}
}

var (
	setupMu  sync.Mutex
	setupDir string // the directory pdfcpu's globals point at; "" before the first New
)

// New prepares pdfcpu's configuration and font directory under dir (a
// private, writable directory such as $CAU_DATA_DIR/pdfcpu) and installs
// the embedded font there. The first call in a process decides the
// directory; later calls share it. concurrency bounds stamps at once.
func New(dir string, concurrency int) (*Marker, error) {
	setupMu.Lock()
	defer setupMu.Unlock()
	// The first call decides; a later one takes over only if the first
	// directory is gone (tests run many servers, each in its own temp dir).
	if _, err := os.Stat(filepath.Join(font.UserFontDir, fontName+".gob")); setupDir == "" || err != nil {
		if err := setup(dir); err != nil {
			return nil, err
		}
		setupDir = dir
	}
	if concurrency < 1 {
		concurrency = 1
	}
	return &Marker{sem: make(chan struct{}, concurrency)}, nil
}

// ensureFont reinstalls the font if its directory vanished under us (pdfcpu
// reads the font file from disk each time it embeds it).
func ensureFont() error {
	setupMu.Lock()
	defer setupMu.Unlock()
	if _, err := os.Stat(filepath.Join(font.UserFontDir, fontName+".gob")); err == nil {
		return nil
	}
	return setup(setupDir)
}

func setup(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("pdfmark: create %s: %w", dir, err)
	}
	if err := model.EnsureDefaultConfigAt(dir, false); err != nil {
		return fmt.Errorf("pdfmark: pdfcpu configuration in %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(font.UserFontDir, fontName+".gob")); err != nil {
		// pdfcpu names an installed font by its PostScript name; install
		// aside, then move it into place under our own name.
		staging, err := os.MkdirTemp(dir, "font-*")
		if err != nil {
			return fmt.Errorf("pdfmark: install font: %w", err)
		}
		defer os.RemoveAll(staging)
		if err := font.InstallFontFromBytesQuiet(staging, fontName, dejaVuSans); err != nil {
			return fmt.Errorf("pdfmark: install font: %w", err)
		}
		if err := os.Rename(filepath.Join(staging, "DejaVuSans.gob"), filepath.Join(font.UserFontDir, fontName+".gob")); err != nil {
			return fmt.Errorf("pdfmark: install font: %w", err)
		}
	}
	if err := font.ReloadUserFonts(); err != nil {
		return fmt.Errorf("pdfmark: load fonts: %w", err)
	}
	return nil
}

// Apply reads the PDF in src and writes to dst a copy with m stamped on
// every page.
func (mk *Marker) Apply(ctx context.Context, src io.ReadSeeker, dst io.Writer, m Mark) error {
	select {
	case mk.sem <- struct{}{}:
		defer func() { <-mk.sem }()
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := ensureFont(); err != nil {
		return err
	}
	conf := model.NewDefaultConfiguration()
	conf.Cmd = model.ADDWATERMARKS
	conf.OptimizeDuplicateContentStreams = false
	conf.ValidationMode = model.ValidationRelaxed

	pctx, err := readPDF(src, conf)
	if err != nil {
		return err
	}
	big, err := api.TextWatermark(clean(m.Name)+"\n"+vntime.In(m.At).Format("02/01/2006 15:04"),
		"fontname:"+fontName+", points:40, scalefactor:0.7 rel, rotation:45, fillcolor:#c00000, opacity:0.18, aligntext:center", true, false, types.POINTS)
	if err != nil {
		return fmt.Errorf("pdfmark: diagonal stamp: %w", err)
	}
	foot, err := api.TextWatermark(m.Line(),
		"fontname:"+fontName+", points:8, scalefactor:1 abs, position:bc, offset:0 14, rotation:0, fillcolor:#c00000, opacity:0.9", true, false, types.POINTS)
	if err != nil {
		return fmt.Errorf("pdfmark: footer stamp: %w", err)
	}
	for _, wm := range []*model.Watermark{big, foot} {
		if err := api.WatermarkContext(pctx, nil, wm); err != nil {
			return fmt.Errorf("pdfmark: stamp: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var out bytes.Buffer
	if err := api.WriteContext(pctx, &out); err != nil {
		return fmt.Errorf("pdfmark: write: %w", err)
	}
	_, err = out.WriteTo(dst)
	return err
}

// readPDF parses and validates src; pdfcpu panics on some malformed
// input, which becomes ErrNotPDF here rather than a crashed request.
func readPDF(src io.ReadSeeker, conf *model.Configuration) (ctx *model.Context, err error) {
	defer func() {
		if r := recover(); r != nil {
			ctx, err = nil, fmt.Errorf("%w: %v", ErrNotPDF, r)
		}
	}()
	ctx, err = api.ReadValidateAndOptimize(src, conf)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotPDF, err)
	}
	return ctx, nil
}
