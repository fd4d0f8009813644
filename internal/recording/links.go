package recording

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"time"

	"github.com/cau-gov/cau/internal/auth"
)

// LinkTTL is how long a signed media link is good for. The player asks
// for a new one when a request after that fails (web client), so a link
// copied out of the page stops working within minutes.
const LinkTTL = 5 * time.Minute

// links signs and checks media links: HMAC-SHA-256 over the recording,
// the user it was minted for and its expiry.
type links struct {
	key []byte
	now func() time.Time
}

// Link is a signed media link's query.
type Link struct {
	Recording ID
	User      auth.UserID
	Expires   time.Time
	Sig       string
}

func (l links) mac(rec ID, user auth.UserID, exp int64) string {
	m := hmac.New(sha256.New, l.key)
	fmt.Fprintf(m, "cau-recording-media\x00%d\x00%d\x00%d", rec, user, exp)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (l links) sign(rec ID, user auth.UserID) Link {
	exp := l.now().Add(LinkTTL).Truncate(time.Second)
	return Link{Recording: rec, User: user, Expires: exp, Sig: l.mac(rec, user, exp.Unix())}
}

// check verifies a link's query values for recording rec.
func (l links) check(rec ID, user, exp, sig string) (auth.UserID, error) {
	if len(l.key) == 0 {
		return 0, ErrLinkExpired
	}
	u, err1 := strconv.ParseInt(user, 10, 64)
	e, err2 := strconv.ParseInt(exp, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, ErrLinkExpired
	}
	if !hmac.Equal([]byte(sig), []byte(l.mac(rec, auth.UserID(u), e))) || l.now().Unix() > e {
		return 0, ErrLinkExpired
	}
	return auth.UserID(u), nil
}

// Query is the link's URL query ("u=…&e=…&s=…").
func (k Link) Query() string {
	return fmt.Sprintf("u=%d&e=%d&s=%s", k.User, k.Expires.Unix(), k.Sig)
}
