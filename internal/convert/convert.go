// Package convert turns office documents (DOCX, XLSX, PPTX, ODT, …) into
// PDF for viewing by running LibreOffice headless. Each run gets its own
// private profile directory (-env:UserInstallation), so conversions never
// share or corrupt a profile and can run side by side; each run has a
// timeout after which the whole LibreOffice process group is killed.
package convert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Errors; callers test with errors.Is.
var (
	// ErrUnavailable means LibreOffice is not installed (or not runnable).
	ErrUnavailable = errors.New("LibreOffice (soffice) is not available on this server")
	// ErrFailed means LibreOffice ran but produced no PDF: the document is
	// damaged or uses something it cannot render.
	ErrFailed = errors.New("LibreOffice could not convert the document")
	// ErrTimeout means the conversion ran out of time and was killed.
	ErrTimeout = errors.New("conversion timed out")
)

// Converter runs soffice.
type Converter struct {
	bin     string
	lookErr error
	timeout time.Duration
	tmpDir  string
	sem     chan struct{}
}

// Options configure a Converter.
type Options struct {
	// Binary is the soffice executable; empty looks up "soffice" in PATH.
	Binary string
	// Timeout bounds one conversion. Default 2 minutes.
	Timeout time.Duration
	// TempDir holds each run's private directory; empty uses os.TempDir.
	// The input sits there in plaintext for the run's duration only.
	TempDir string
	// Concurrency bounds runs at once (LibreOffice is heavy). Default 1.
	Concurrency int
}

// New returns a converter; when soffice is missing it still returns one
// whose Available and ToPDF report ErrUnavailable with the reason.
func New(o Options) *Converter {
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.Concurrency < 1 {
		o.Concurrency = 1
	}
	c := &Converter{timeout: o.Timeout, tmpDir: o.TempDir, sem: make(chan struct{}, o.Concurrency)}
	name := o.Binary
	if name == "" {
		name = "soffice"
	}
	c.bin, c.lookErr = exec.LookPath(name)
	return c
}

// Available reports nil when soffice can be run, or why not.
func (c *Converter) Available() error {
	if c.lookErr != nil {
		return fmt.Errorf("%w: %v (install the libreoffice package)", ErrUnavailable, c.lookErr)
	}
	return nil
}

// ToPDF converts the document read from src, whose type's extension is ext
// (".docx", …; LibreOffice picks its import filter by it), and writes the
// PDF to dst. Nothing is written to dst unless the conversion succeeded.
func (c *Converter) ToPDF(ctx context.Context, src io.Reader, ext string, dst io.Writer) error {
	if err := c.Available(); err != nil {
		return err
	}
	if !validExt(ext) {
		return fmt.Errorf("convert: bad extension %q", ext)
	}
	select {
	case c.sem <- struct{}{}:
		defer func() { <-c.sem }()
	case <-ctx.Done():
		return ctx.Err()
	}
	dir, err := os.MkdirTemp(c.tmpDir, "cau-convert-*")
	if err != nil {
		return fmt.Errorf("convert: temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "document"+ext)
	f, err := os.OpenFile(in, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("convert: write input: %w", err)
	}
	_, err = io.Copy(f, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("convert: write input: %w", err)
	}
	outDir := filepath.Join(dir, "out")
	profile := filepath.Join(dir, "profile")

	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	cmd := exec.CommandContext(rctx, c.bin,
		"-env:UserInstallation=file://"+filepath.ToSlash(profile),
		"--headless", "--invisible", "--norestore", "--nolockcheck", "--nodefault", "--nofirststartwizard",
		"--convert-to", "pdf", "--outdir", outDir, in)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	// soffice forks soffice.bin; kill the whole group, not just the launcher.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var output strings.Builder
	cmd.Stdout = &limitedWriter{w: &output, n: 4096}
	cmd.Stderr = cmd.Stdout
	runErr := cmd.Run()
	if rctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
		return fmt.Errorf("%w after %s", ErrTimeout, c.timeout)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	pdf, err := os.Open(filepath.Join(outDir, "document.pdf"))
	if err != nil {
		msg := strings.TrimSpace(output.String())
		if runErr != nil {
			msg = runErr.Error() + ": " + msg
		}
		return fmt.Errorf("%w: %s", ErrFailed, msg)
	}
	defer pdf.Close()
	if _, err := io.Copy(dst, pdf); err != nil {
		return fmt.Errorf("convert: read output: %w", err)
	}
	return nil
}

func validExt(ext string) bool {
	if len(ext) < 2 || len(ext) > 6 || ext[0] != '.' {
		return false
	}
	for _, r := range ext[1:] {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// limitedWriter keeps the first n bytes of LibreOffice's chatter for errors.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}
