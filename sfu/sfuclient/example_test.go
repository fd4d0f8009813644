package sfuclient_test

import (
	"context"
	"log"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
	"github.com/pion/webrtc/v4"
)

// A synthetic hall: join with a room token, publish simulcast video and
// audio, watch the floor in the best layer the link carries.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := sfuclient.Dial(ctx, sfuclient.Options{
		URL:   "ws://127.0.0.1:8080/rtc",
		Token: "<room token from cau token>",
		OnTrack: func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
			log.Printf("receiving %s from %s", t.ID(), t.StreamID())
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	audio, err := c.PublishAudio(ctx)
	if err != nil {
		log.Fatal(err)
	}
	video, err := c.PublishVideo(ctx, sfu.SourceCamera, webrtc.MimeTypeVP8, "q", "h", "f")
	if err != nil {
		log.Fatal(err)
	}
	go sfuclient.SendAudio(ctx, audio, func() int { return 40 })
	go sfuclient.SendVideo(ctx, video, sfuclient.VideoSpec{Bitrates: []int{150_000, 500_000, 1_500_000}})
	if err := c.Subscribe(sfu.FloorTrack, sfu.QualityHigh); err != nil {
		log.Fatal(err)
	}
	<-ctx.Done()
}
