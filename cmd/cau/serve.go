package main

import (
	"context"
	"io"

	"github.com/cau-gov/cau/internal/app"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "Run the HTTP API, web client, SFU and (unless CAU_RUN_WORKER=false) the job worker.", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, log, err := loadConfig(stderr)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, log, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Serve(ctx, nil)
}

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("worker", "Run the background job worker alone.", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, log, err := loadConfig(stderr)
	if err != nil {
		return err
	}
	cfg.RunWorker = true
	a, err := app.New(ctx, cfg, log, app.Options{NoSFU: true})
	if err != nil {
		return err
	}
	defer a.Close()
	return a.RunWorker(ctx)
}
