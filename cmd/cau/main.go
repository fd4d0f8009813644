// Command cau is the one Cầu binary: the API, SFU and worker (`serve`), the
// worker alone, migrations, demo data, room tokens, audit verification and
// the load tool. Configuration comes from the environment (see
// internal/config and deploy/cau.env.example).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	// Vietnam time (Asia/Ho_Chi_Minh) must load on hosts and images
	// without tzdata (distroless, minimal servers): ~450 KB in the binary.
	_ "time/tzdata"

	"github.com/cau-gov/cau/internal/config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the HTTP API, SFU and background worker in one process (the default)", runServe},
		{"worker", "run the background job worker alone (for a dedicated worker node)", runWorker},
		{"migrate", "apply database migrations (up) or list them (status)", runMigrate},
		{"seed", "load demo data (--demo): a province of 180 units and halls and demo accounts", runSeed},
		{"token", "print a room token for the SFU (--room, --identity, --name, --perms, --ttl)", runToken},
		{"loadtest", "start N synthetic halls against a server and report rates, delay, loss, CPU and memory", runLoadtest},
		{"keys", "create the signing and document key files named by the configuration (for production setup)", runKeys},
		{"audit", "verify the audit log's hash chain (audit verify)", runAudit},
		{"backup", "write one archive: database dump, encrypted files, manifest of hashes (--out)", runBackup},
		{"restore", "restore an archive into an empty database and data directory, then verify it (--in)", runRestore},
		{"health", "exit 0 when /readyz answers 200 (container health check; --url)", runHealth},
		{"version", "print the version", runVersion},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Cầu %s — videoconference and meeting management for paperless government sessions.\n\n", version)
	fmt.Fprintf(w, "Usage: cau <command> [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun `cau <command> --help` for a command's flags. Configuration is read from the\n")
	fmt.Fprintf(w, "environment (CAU_*, DATABASE_URL, REDIS_URL); see deploy/cau.env.example.\n")
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(os.Stderr, "cau: %v\n", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitCode is 2 for usage errors, 1 otherwise.
func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	name := "serve"
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	switch name {
	case "-h", "--help", "help":
		usage(stdout)
		return nil
	case "linkemu": // for browser tests, not listed
		return runLinkemu(ctx, args, stdout, stderr)
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, args, stdout, stderr)
		}
	}
	usage(stderr)
	return usageError{fmt.Sprintf("unknown command %q", name)}
}

// newFlags returns a flag set that prints its usage with a summary line.
func newFlags(name, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: cau %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}

// loadConfig reads and validates the configuration and builds the logger.
func loadConfig(stderr io.Writer) (config.Config, *slog.Logger, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return cfg, nil, fmt.Errorf("configuration:\n%w", err)
	}
	return cfg, newLogger(cfg, stderr), nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fmt.Fprintf(stdout, "cau %s\n", version)
	return nil
}

// loadConfigLenient loads the configuration for commands that prepare what
// validation would demand (`cau keys` creates the key files production
// requires), so a missing key file is not an error here.
func loadConfigLenient(stderr io.Writer) (config.Config, *slog.Logger, error) {
	env := func(k string) string {
		if k == "CAU_ENV" && os.Getenv(k) == config.EnvProduction {
			return config.EnvDevelopment
		}
		return os.Getenv(k)
	}
	cfg, err := config.Load(env)
	if err != nil {
		return cfg, nil, fmt.Errorf("configuration:\n%w", err)
	}
	return cfg, newLogger(cfg, stderr), nil
}
