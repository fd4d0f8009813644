package org

import (
	"context"
	"errors"
	"time"

	"github.com/cau-gov/cau/internal/auth"
)

// Signature is how the conclusion notices a unit issues are signed: a
// People's Committee's notice is usually signed on its behalf by the
// office chief ("TL. CHỦ TỊCH" / "CHÁNH VĂN PHÒNG" / the name), not by the
// chair of the meeting. A unit without one uses its nearest ancestor's.
type Signature struct {
	UnitID     auth.UnitID `json:"unit_id"`
	Authority  string      `json:"authority"`   // first line: "TL. CHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN"
	Title      string      `json:"title"`       // second line: "CHÁNH VĂN PHÒNG" (may be empty)
	SignerName string      `json:"signer_name"` // under the signing space (may be empty: filled by hand)
	UpdatedAt  time.Time   `json:"updated_at"`
}

// Signature returns the unit's own signature block, or ErrNotFound when
// it has none (its notices then use an ancestor's). Admins of the unit read it.
func (s *Service) Signature(ctx context.Context, p *auth.Principal, unit auth.UnitID) (Signature, error) {
	if _, err := s.st.Unit(ctx, unit); err != nil {
		return Signature{}, err
	}
	if err := s.requireAdmin(ctx, p, unit); err != nil {
		return Signature{}, err
	}
	return s.st.Signature(ctx, unit)
}

// SaveSignature sets the unit's signature block; nil removes it. The
// unit's own admins decide it (who signs for the office changes with
// people, not with the tree). The lines are printed in capitals as given.
func (s *Service) SaveSignature(ctx context.Context, p *auth.Principal, unit auth.UnitID, sig *Signature, ip string) (*Signature, error) {
	if _, err := s.st.Unit(ctx, unit); err != nil {
		return nil, err
	}
	if err := s.requireAdmin(ctx, p, unit); err != nil {
		return nil, err
	}
	detail := map[string]any{"removed": sig == nil}
	if sig != nil {
		sig.UnitID = unit
		sig.Authority, sig.Title, sig.SignerName = clean(sig.Authority), clean(sig.Title), clean(sig.SignerName)
		fields := map[string]string{}
		if sig.Authority == "" || !oneLine(sig.Authority, 100) {
			fields["authority"] = "required, 1–100 characters on one line"
		}
		if !oneLine(sig.Title, 100) {
			fields["title"] = "at most 100 characters on one line"
		}
		if !oneLine(sig.SignerName, 200) {
			fields["signer_name"] = "at most 200 characters on one line"
		}
		if err := invalid(fields); err != nil {
			return nil, err
		}
		sig.UpdatedAt = s.now()
		detail = map[string]any{"authority": sig.Authority, "title": sig.Title, "signer_name": sig.SignerName}
	}
	e := entry(p, "unit.signature", "unit", unit, ip, detail)
	if err := s.st.SaveSignature(ctx, unit, sig, e, s.now()); err != nil {
		if sig == nil && errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	return sig, nil
}
