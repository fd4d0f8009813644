package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/cau-gov/cau/internal/store"
)

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", "Apply pending migrations (`cau migrate up`) or list them (`cau migrate status`).\nMigrations run under a PostgreSQL advisory lock, so concurrent runs are safe.", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	sub := "up"
	if fs.NArg() > 0 {
		sub = fs.Arg(0)
	}
	if sub != "up" && sub != "status" {
		return usageError{fmt.Sprintf("migrate: unknown subcommand %q (want up or status)", sub)}
	}
	cfg, log, err := loadConfig(stderr)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if sub == "up" {
		done, err := db.Migrate(ctx, log)
		if err != nil {
			return err
		}
		if len(done) == 0 {
			fmt.Fprintln(stdout, "schema is current; nothing to apply")
		} else {
			fmt.Fprintf(stdout, "applied %d migration(s): %v\n", len(done), done)
		}
		return nil
	}
	st, err := db.MigrationStatuses(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tNAME\tAPPLIED")
	for _, m := range st {
		applied := "pending"
		if !m.AppliedAt.IsZero() {
			applied = m.AppliedAt.Format("2006-01-02 15:04:05 MST")
		}
		fmt.Fprintf(tw, "%04d\t%s\t%s\n", m.Version, m.Name, applied)
	}
	return tw.Flush()
}
