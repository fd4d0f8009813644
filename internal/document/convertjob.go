package document

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cau-gov/cau/internal/convert"
	"github.com/cau-gov/cau/internal/filetype"
	"github.com/cau-gov/cau/internal/jobs"
)

// TypeConvert is the asynq task that makes a version's PDF view.
const TypeConvert = "document:convert"

// ConvertPayload names the version to convert.
type ConvertPayload struct {
	DocumentID ID  `json:"document_id"`
	Version    int `json:"version"`
}

// NewConvertTask builds the task: on the heavy queue, unique per version
// (queueing it twice is harmless), retried a few times, with a deadline
// beyond the converter's own timeout.
func NewConvertTask(id ID, version int, timeout time.Duration) (*asynq.Task, error) {
	b, err := json.Marshal(ConvertPayload{DocumentID: id, Version: version})
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(TypeConvert, b,
		asynq.Queue(jobs.QueueHeavy),
		asynq.TaskID(fmt.Sprintf("%s:%d:%d", TypeConvert, id, version)),
		asynq.MaxRetry(3),
		asynq.Timeout(timeout+time.Minute),
		asynq.Retention(24*time.Hour),
	), nil
}

// AsynqEnqueuer queues conversions with an asynq client.
type AsynqEnqueuer struct {
	Client  *asynq.Client
	Timeout time.Duration // the converter's timeout
}

// EnqueueConversion implements Enqueuer.
func (q AsynqEnqueuer) EnqueueConversion(ctx context.Context, id ID, version int) error {
	t, err := NewConvertTask(id, version, q.Timeout)
	if err != nil {
		return err
	}
	_, err = q.Client.EnqueueContext(ctx, t)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil // already queued
	}
	return err
}

// ConvertHandler is the job handler to register on the worker.
func (s *Service) ConvertHandler() jobs.Handler {
	return jobs.Handler{Type: TypeConvert, Func: s.handleConvert}
}

// handleConvert converts one version. It is idempotent: a version already
// converted (or not needing it) is left alone. Missing LibreOffice and a
// document LibreOffice cannot read are recorded on the version and not
// retried; the original stays available either way.
func (s *Service) handleConvert(ctx context.Context, t *asynq.Task) error {
	var p ConvertPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("%w: bad payload: %v", asynq.SkipRetry, err)
	}
	log := s.log.With("document_id", p.DocumentID, "version", p.Version)
	d, err := s.store.Document(ctx, p.DocumentID)
	if err != nil {
		return fmt.Errorf("%w: load document: %v", asynq.SkipRetry, err)
	}
	v, ok := d.Version(p.Version)
	if !ok {
		return fmt.Errorf("%w: no version %d", asynq.SkipRetry, p.Version)
	}
	if v.Conversion == ConversionDone || v.Conversion == ConversionNotNeeded {
		return nil
	}
	if err := s.converter.Available(); err != nil {
		log.Warn("document conversion unavailable", "error", err)
		if err := s.store.SetConversion(ctx, p.DocumentID, p.Version, ConversionUnavailable, "", err.Error(), s.now()); err != nil {
			return err
		}
		return nil
	}
	ft, _ := filetype.ByName(v.FileType)
	src, err := s.blobs.Open(v.BlobID)
	if err != nil {
		return fmt.Errorf("open original: %w", err)
	}
	defer src.Close()
	w, err := s.blobs.Create()
	if err != nil {
		return err
	}
	start := s.now()
	convErr := s.converter.ToPDF(ctx, src, ft.Ext, w)
	if convErr != nil {
		w.Abort()
		retried, _ := asynq.GetRetryCount(ctx)
		maxRetry, _ := asynq.GetMaxRetry(ctx)
		final := errors.Is(convErr, convert.ErrFailed) || retried >= maxRetry
		log.Warn("document conversion failed", "error", convErr, "final", final)
		if !final {
			return convErr // retried; the version stays pending meanwhile
		}
		if err := s.store.SetConversion(ctx, p.DocumentID, p.Version, ConversionFailed, "", convErr.Error(), s.now()); err != nil {
			return err
		}
		return fmt.Errorf("%w: %v", asynq.SkipRetry, convErr)
	}
	if err := w.Commit(); err != nil {
		return err
	}
	if err := s.store.SetConversion(ctx, p.DocumentID, p.Version, ConversionDone, w.ID(), "", s.now()); err != nil {
		s.removeBlob(w.ID())
		return err
	}
	log.Info("document converted", "took", s.now().Sub(start).Round(time.Millisecond).String(), "pdf_bytes", w.Size())
	return nil
}
