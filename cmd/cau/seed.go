package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/seed"
	"github.com/cau-gov/cau/internal/store"
)

func runSeed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("seed", "Load demo data: the province of the reference scenario (1 province, 20 departments,\n12 districts, 147 communes, one hall each) and demo accounts for every role, all\nwith the password CAU_DEMO_PASSWORD (default cau-demo). Idempotent. Refused in production.", stderr)
	demo := fs.Bool("demo", false, "load the demo province (required: it is the only data set)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*demo {
		return usageError{"seed: say --demo to load the demo province"}
	}
	cfg, _, err := loadConfig(stderr)
	if err != nil {
		return err
	}
	if cfg.Production() {
		return seed.ErrProduction
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); err != nil {
		return err
	}
	hash, err := auth.HashPassword(cfg.DemoPassword, auth.DefaultArgon2)
	if err != nil {
		return err
	}
	sum, err := seed.Demo(ctx, db, hash, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Demo province ready: %d units, %d halls, %d users.\n\n", sum.Units, sum.Halls, sum.Users)
	fmt.Fprintf(stdout, "Demo accounts (password %q unless changed since):\n", cfg.DemoPassword)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for i, a := range sum.Accounts {
		if i >= 5 && a.Role == auth.RoleDelegate && i < len(sum.Accounts)-1 {
			continue // daibieu1, daibieu2 and the last are enough to show the pattern
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", a.Username, a.Role, a.FullName, a.Unit)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "  daibieu1 … daibieu20 are delegates; every hall has an operator ktv.<hall code>, e.g. %s\n", sum.OperatorExample)
	return nil
}
