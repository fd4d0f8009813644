// Package docnum formats and validates the number and symbol of
// administrative documents (Decree 30/2020/NĐ-CP, Appendix I: "Số: 12/BB-UBND").
// Numbers run per issuing unit, per calendar year and per kind of document,
// from 1, without gaps or duplicates; the store allocates them inside the
// transaction that issues the document, with the counter row locked.
package docnum

import (
	"fmt"
	"regexp"

	"github.com/cau-gov/cau/internal/auth"
)

// Kind is the abbreviation of a kind of administrative document.
type Kind string

// Kinds Cầu issues.
const (
	// Minutes is biên bản.
	Minutes Kind = "BB"
	// Notice is thông báo (the conclusion notice of a meeting).
	Notice Kind = "TB"
)

var (
	kindRe   = regexp.MustCompile(`^[A-Z]{1,6}$`)
	issuerRe = regexp.MustCompile(`^[\p{Lu}0-9Đ]{1,20}(-[\p{Lu}0-9Đ]{1,20}){0,3}$`)
)

// Valid reports whether k is a well-formed kind abbreviation.
func (k Kind) Valid() bool { return kindRe.MatchString(string(k)) }

// Number is one issued number.
type Number struct {
	Unit   auth.UnitID `json:"unit_id"`
	Year   int         `json:"year"`
	Kind   Kind        `json:"kind"`
	Seq    int         `json:"seq"`
	Symbol string      `json:"symbol"` // "12/BB-UBND"
}

// Symbol formats the number and symbol: seq, kind and the issuing
// authority's abbreviation ("UBND", "VP-UBND"). Seq is written without
// padding below 10 as offices do ("Số: 05" is also seen; the decree does not
// require the zero).
func Symbol(seq int, k Kind, issuer string) (string, error) {
	if seq <= 0 {
		return "", fmt.Errorf("docnum: number %d: %w", seq, ErrInvalid)
	}
	if !k.Valid() {
		return "", fmt.Errorf("docnum: kind %q: %w", k, ErrInvalid)
	}
	if !issuerRe.MatchString(issuer) {
		return "", fmt.Errorf("docnum: issuer abbreviation %q: %w", issuer, ErrInvalid)
	}
	return fmt.Sprintf("%d/%s-%s", seq, k, issuer), nil
}
