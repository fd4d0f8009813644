package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// runHealth is the container health check: images without a shell or curl
// run `cau health`, which exits 0 only when the URL answers 200.
func runHealth(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("health", "Exit 0 when the server's readiness URL answers 200, 1 otherwise (a container HEALTHCHECK\nwithout curl). The default URL is /readyz on loopback at CAU_HTTP_ADDR's port, over HTTPS\nwhen CAU_TLS_CERT_FILE is set (the certificate is not verified: the check is local).", stderr)
	url := fs.String("url", defaultHealthURL(os.Getenv), "URL to check")
	timeout := fs.Duration("timeout", 3*time.Second, "limit for the whole request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return usageError{fmt.Sprintf("health: --url: %v", err)}
	}
	client := &http.Client{Transport: &http.Transport{
		// Loopback check of a certificate issued for the public name.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %s", *url, resp.Status)
	}
	fmt.Fprintf(stdout, "ok %s\n", *url)
	return nil
}

// defaultHealthURL is /readyz on loopback at the port of CAU_HTTP_ADDR
// (default 8080), https when cau terminates TLS itself.
func defaultHealthURL(getenv func(string) string) string {
	port := "8080"
	if _, p, err := net.SplitHostPort(getenv("CAU_HTTP_ADDR")); err == nil && p != "" && p != "0" {
		port = p
	}
	scheme := "http"
	if getenv("CAU_TLS_CERT_FILE") != "" {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort("127.0.0.1", port) + "/readyz"
}
