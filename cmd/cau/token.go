package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cau-gov/cau/internal/keys"
	"github.com/cau-gov/cau/internal/roomtoken"
)

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("token", "Print a room token for the SFU, signed with CAU_ROOM_KEY_FILE (the key `serve` uses).\nOperators use it to connect an encoder by WHIP; tests and the load tool mint the same way.", stderr)
	room := fs.String("room", "", "room, e.g. meeting-42 (required)")
	identity := fs.String("identity", "", "participant identity, e.g. hall-7 or user-3 (required)")
	name := fs.String("name", "", "display name")
	kind := fs.String("kind", "hall", "client kind: hall, user, console, whip, whep")
	perms := fs.String("perms", "publish,subscribe", "comma-separated permissions: publish, subscribe, screen, moderate")
	ttl := fs.Duration("ttl", time.Hour, "lifetime")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *room == "" || *identity == "" {
		return usageError{"token: --room and --identity are required"}
	}
	if *ttl <= 0 || *ttl > 7*24*time.Hour {
		return usageError{"token: --ttl must be between 1s and 168h"}
	}
	switch *kind {
	case "hall", "user", "console", "whip", "whep":
	default:
		return usageError{fmt.Sprintf("token: unknown --kind %q", *kind)}
	}
	var list []string
	for _, p := range strings.Split(*perms, ",") {
		if p = strings.TrimSpace(p); p != "" {
			list = append(list, p)
		}
	}
	cfg, _, err := loadConfig(stderr)
	if err != nil {
		return err
	}
	priv, err := keys.LoadEd25519(cfg.Tokens.RoomKeyFile, !cfg.Production())
	if err != nil {
		return fmt.Errorf("CAU_ROOM_KEY_FILE: %w", err)
	}
	tok, err := roomtoken.NewSigner(priv).Sign(roomtoken.Claims{Room: *room, Identity: *identity, Name: *name, Kind: *kind, Perms: list}, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
