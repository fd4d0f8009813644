package document

import (
	"testing"

	"github.com/cau-gov/cau/internal/auth"
)

func TestMayRead(t *testing.T) {
	open := Document{}
	secret := Document{Confidential: true, AllowedUserIDs: []auth.UserID{7, 9}}
	nobody := Document{Confidential: true}
	organizer := MeetingAccess{CanManage: true}
	member := MeetingAccess{}
	cases := []struct {
		name string
		d    Document
		acc  MeetingAccess
		user auth.UserID
		want bool
	}{
		{"open document, member", open, member, 1, true},
		{"open document, organizer", open, organizer, 1, true},
		{"confidential, named member", secret, member, 9, true},
		{"confidential, unnamed member", secret, member, 8, false},
		{"confidential, unnamed organizer", secret, organizer, 8, true},
		{"confidential naming nobody, member", nobody, member, 7, false},
		{"confidential naming nobody, organizer", nobody, organizer, 7, true},
	}
	for _, tc := range cases {
		if got := mayRead(tc.d, tc.acc, &auth.Principal{UserID: tc.user}); got != tc.want {
			t.Errorf("%s: mayRead = %v, want %v", tc.name, got, tc.want)
		}
	}
}
