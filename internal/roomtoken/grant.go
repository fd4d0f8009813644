package roomtoken

import (
	"time"

	"github.com/cau-gov/cau/sfu"
)

// Grant turns verified claims into what the SFU admits: the one place
// where token permissions become SFU permissions.
func (c Claims) Grant() sfu.Grant {
	issued := time.UnixMilli(c.IssuedMs)
	if c.IssuedMs == 0 && c.IssuedAt != nil {
		issued = c.IssuedAt.Time
	}
	return sfu.Grant{
		Room:      sfu.RoomID(c.Room),
		Identity:  sfu.ParticipantID(c.Identity),
		Name:      c.Name,
		Kind:      sfu.Kind(c.Kind),
		Publish:   c.Has(PermPublish),
		Subscribe: c.Has(PermSubscribe),
		Screen:    c.Has(PermScreen),
		Moderate:  c.Has(PermModerate),
		Stats:     c.Has(PermStats),
		Hall:      c.Kind == string(sfu.KindHall),
		IssuedAt:  issued,
	}
}
