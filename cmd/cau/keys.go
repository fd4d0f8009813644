package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/cau-gov/cau/internal/blob"
	"github.com/cau-gov/cau/internal/keys"
)

func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := newFlags("keys", "Create the Ed25519 signing keys named by CAU_ACCESS_KEY_FILE and CAU_ROOM_KEY_FILE\n(each with a .pub beside it) and the document keys file CAU_DOCUMENT_KEYS_FILE (mode 0600).\nExisting files are left alone.", stderr)
	if err := fset.Parse(args); err != nil {
		return err
	}
	cfg, _, err := loadConfigLenient(stderr)
	if err != nil {
		return err
	}
	for _, path := range []string{cfg.Tokens.AccessKeyFile, cfg.Tokens.RoomKeyFile, cfg.Node.KeyFile} {
		_, err := keys.WriteNew(path)
		switch {
		case errors.Is(err, fs.ErrExist):
			fmt.Fprintf(stdout, "kept existing %s\n", path)
		case err != nil:
			return err
		default:
			fmt.Fprintf(stdout, "created %s (and %s.pub)\n", path, path)
		}
	}
	// Production refuses to start without the document keys; a container's
	// first start (compose's init service, a Kubernetes job) makes them here.
	path := cfg.Documents.KeysFile
	if _, err := os.Stat(path); err == nil {
		fmt.Fprintf(stdout, "kept existing %s\n", path)
		return nil
	}
	if _, err := blob.LoadKeyring(path, true); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s\n", path)
	return nil
}
