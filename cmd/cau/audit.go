package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/cau-gov/cau/internal/store"
)

// errAuditBroken makes `cau audit verify` exit non-zero for scripts and cron.
var errAuditBroken = errors.New("audit log chain is broken")

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit", "Verify the audit log (`cau audit verify`): recompute every row's SHA-256 chain\nand name the first row that was changed, removed or inserted out of band.", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || fs.Arg(0) != "verify" {
		return usageError{"audit: the only subcommand is `verify`"}
	}
	cfg, _, err := loadConfig(stderr)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	n, breach, err := db.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if breach != nil {
		fmt.Fprintf(stdout, "BROKEN at row %d: %s (%d rows before it verified)\n", breach.ID, breach.Reason, n)
		return errAuditBroken
	}
	fmt.Fprintf(stdout, "audit log intact: %d rows verified\n", n)
	return nil
}
