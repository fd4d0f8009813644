package gcc

import (
	"testing"

	"github.com/pion/interceptor"
	pgcc "github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/rtp"
)

// BenchmarkOnSentPion is BenchmarkOnSent on pion's own GCC, the one this
// package replaces: its history's map and list, an attributes map per
// stream write.
func BenchmarkOnSentPion(b *testing.B) {
	bwe, err := pgcc.NewSendSideBWE(pgcc.SendSideBWEPacer(pgcc.NewNoOpPacer()))
	if err != nil {
		b.Fatal(err)
	}
	defer bwe.Close()
	info := &interceptor.StreamInfo{SSRC: 1, RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: transportCCURI, ID: 3}}}
	w := bwe.AddStream(info, interceptor.RTPWriterFunc(func(_ *rtp.Header, p []byte, _ interceptor.Attributes) (int, error) {
		return len(p), nil
	}))
	h := twccHeader(b)
	payload := make([]byte, 1000)
	attrs := interceptor.Attributes{}
	b.ReportAllocs()
	for i := range b.N {
		setTWCC(h, uint16(i))
		_, _ = w.Write(h, payload, attrs)
	}
}
