package org

import (
	"context"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
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

// SaveSignature sets the unit's signature block. The unit's own admins
// decide it (who signs for the office changes with people, not with the
// tree). The lines are printed in capitals as given.
func (s *Service) SaveSignature(ctx context.Context, p *auth.Principal, unit auth.UnitID, sig Signature) (Signature, error) {
	if err := s.signatureAdmin(ctx, p, unit); err != nil {
		return Signature{}, err
	}
	sig.UnitID = unit
	sig.Authority, sig.Title, sig.SignerName = clean(sig.Authority), clean(sig.Title), clean(sig.SignerName)
	fields := map[string]fault.Problem{}
	switch {
	case sig.Authority == "":
		fields["authority"] = fault.Required
	case !oneLine(sig.Authority, 100):
		fields["authority"] = fault.TooLong
	}
	if !oneLine(sig.Title, 100) {
		fields["title"] = fault.TooLong
	}
	if !oneLine(sig.SignerName, 200) {
		fields["signer_name"] = fault.TooLong
	}
	if err := fault.Check(fields); err != nil {
		return Signature{}, err
	}
	sig.UpdatedAt = s.now()
	e := entry(p, "unit.signature", "unit", unit, map[string]any{"authority": sig.Authority, "title": sig.Title, "signer_name": sig.SignerName})
	if err := s.st.SaveSignature(ctx, unit, &sig, e, sig.UpdatedAt); err != nil {
		return Signature{}, err
	}
	return sig, nil
}

// RemoveSignature removes the unit's own block: its notices then use its
// nearest ancestor's. ErrNotFound when it had none.
func (s *Service) RemoveSignature(ctx context.Context, p *auth.Principal, unit auth.UnitID) error {
	if err := s.signatureAdmin(ctx, p, unit); err != nil {
		return err
	}
	return s.st.SaveSignature(ctx, unit, nil, entry(p, "unit.signature", "unit", unit, map[string]any{"removed": true}), s.now())
}

func (s *Service) signatureAdmin(ctx context.Context, p *auth.Principal, unit auth.UnitID) error {
	if _, err := s.st.Unit(ctx, unit); err != nil {
		return err
	}
	return s.requireAdmin(ctx, p, unit)
}
