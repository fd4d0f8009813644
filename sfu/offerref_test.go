package sfu_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// TestOfferNotRefusedByOtherErrors: errors answering a client's other
// requests (subscriptions to tracks not there yet, as a relay sends them
// while it publishes) arrive while its offer awaits the answer; the offer
// is refused only by an error naming it (ErrorEvent.Ref), and the client
// publishes. A relay's up connection was left in have-local-offer by such
// an error and refused every offer after (TestClusterChain).
func TestOfferNotRefusedByOtherErrors(t *testing.T) {
	b := setup(t, sfu.Config{})
	c := b.dial(t, "meeting-ref", "hall-a", sfuclient.Options{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			if err := c.Subscribe(sfu.TrackID(fmt.Sprintf("hall-x%d/camera", i)), sfu.QualityLow); err != nil {
				return
			}
			time.Sleep(100 * time.Microsecond)
		}
	}()
	if _, err := c.PublishAudio(ctxT(t, 10*time.Second)); err != nil {
		t.Fatalf("publishing while other requests failed: %v", err)
	}
	<-done
	if _, err := c.PublishVideo(ctxT(t, 10*time.Second), sfu.SourceCamera, "video/VP8"); err != nil {
		t.Fatalf("the next offer: %v", err)
	}
}
