package pdfsign

import "errors"

var (
	// ErrCertificate means the certificate or key cannot be used to sign.
	ErrCertificate = errors.New("unusable signing certificate")
	// ErrUnsupported means the PDF's structure is not one Sign handles.
	ErrUnsupported = errors.New("unsupported PDF structure")
)
