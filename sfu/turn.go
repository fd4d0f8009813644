package sfu

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"time"
)

// ICEServersFor is the ICE server list handed to participant id. TURN
// servers with a shared secret get credentials of the TURN REST
// convention that coturn's use-auth-secret checks: username
// "<expiry unix time>:<participant>", password base64(HMAC-SHA1(secret,
// username)). They stop working at expiry, so a credential copied out of
// a browser is no standing key to the relay, and none of them is the
// secret itself.
func (s *SFU) ICEServersFor(id ParticipantID) []ICEServer {
	out := make([]ICEServer, 0, len(s.cfg.ICEServers))
	expiry := time.Now().Add(s.cfg.TURNCredentialTTL)
	for _, srv := range s.cfg.ICEServers {
		if srv.Secret != "" {
			srv.Username, srv.Credential = TURNCredential(srv.Secret, string(id), expiry)
			srv.Secret = ""
		}
		out = append(out, srv)
	}
	return out
}

// TURNCredential mints a TURN REST username and password for who, valid
// until expiry.
func TURNCredential(secret, who string, expiry time.Time) (username, password string) {
	username = fmt.Sprintf("%d:%s", expiry.Unix(), who)
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return username, base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
