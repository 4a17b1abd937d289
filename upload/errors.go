package upload

import (
	"errors"
	"fmt"
	"time"

	"github.com/gojabber/xmpp"
)

var (
	// ErrNoService is returned by Discover when no item of the server's
	// disco#items offers urn:xmpp:http:upload:0.
	ErrNoService = errors.New("upload: the server offers no HTTP File Upload service")

	// ErrQuota is wrapped by the error of a slot request that the service
	// refused with resource-constraint (§4: a quota was reached); the
	// error is a *QuotaError.
	ErrQuota = errors.New("upload: quota reached")

	// ErrNotAllowed is wrapped by the error of a slot request that the
	// service refused with not-allowed or forbidden (§4: the user may not
	// upload), along with the *xmpp.StanzaError.
	ErrNotAllowed = errors.New("upload: not allowed to upload")

	// ErrBadFileName is wrapped by the error for a File whose Name is
	// empty or holds a slash or backslash.
	ErrBadFileName = errors.New("upload: bad file name")

	// ErrSizeMismatch is wrapped by the error of a PUT whose reader gave
	// more or fewer bytes than File.Size, the size the slot was granted
	// for. The upload is aborted.
	ErrSizeMismatch = errors.New("upload: the reader's length is not File.Size")

	// ErrTooLarge is wrapped by the error of Download when the file is
	// larger than the limit it was given; nothing past the limit is
	// written.
	ErrTooLarge = errors.New("upload: download larger than the limit")

	// ErrInsecureURL is wrapped by the error for a PUT or GET URL (or a
	// redirect) that is not https, unless Options.InsecureAllowHTTP.
	ErrInsecureURL = errors.New("upload: not an https URL")

	// ErrNeedHTTPClient is returned when Options.HTTPClient is nil and the
	// session does not tell which certificates it trusts (it has no
	// TLSConfig method, as *xmpp.Client does).
	ErrNeedHTTPClient = errors.New("upload: the session does not expose its TLS config; set Options.HTTPClient")
)

// FileTooLargeError is the error for a file larger than the service
// takes: from the <file-too-large/> condition of a slot request's error
// (§4), or found before any request when the size is above the
// max-file-size the service announced (§3).
type FileTooLargeError struct {
	// Size is the size of the file that was refused.
	Size int64
	// Max is the service's limit in bytes; 0 if the service did not say.
	Max int64
	// Err is the service's *xmpp.StanzaError; nil when the limit was
	// known beforehand and no request was sent.
	Err error
}

func (e *FileTooLargeError) Error() string {
	if e.Max > 0 {
		return fmt.Sprintf("upload: file of %d bytes is too large: the service takes at most %d", e.Size, e.Max)
	}
	return fmt.Sprintf("upload: file of %d bytes is too large for the service", e.Size)
}

func (e *FileTooLargeError) Unwrap() error { return e.Err }

// QuotaError is the error of a slot request the service refused with
// resource-constraint (§4). It wraps ErrQuota and the *xmpp.StanzaError.
type QuotaError struct {
	// RetryAfter is when the service says the user may try again, from
	// its <retry stamp=''/> (XEP-0082 date-time); zero if it did not say.
	RetryAfter time.Time
	// Err is the service's *xmpp.StanzaError.
	Err *xmpp.StanzaError
}

func (e *QuotaError) Error() string {
	if !e.RetryAfter.IsZero() {
		return fmt.Sprintf("upload: quota reached, retry after %s: %v", e.RetryAfter.Format(time.RFC3339), e.Err)
	}
	return fmt.Sprintf("upload: quota reached: %v", e.Err)
}

func (e *QuotaError) Unwrap() []error { return []error{ErrQuota, e.Err} }

// HTTPError is the error for an HTTP response to the PUT or GET whose
// status is not a success (2xx).
type HTTPError struct {
	Method     string // "PUT" or "GET"
	URL        string // the URL without its query, which may hold a secret
	StatusCode int    // e.g. 413
	Status     string // e.g. "413 Request Entity Too Large"
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("upload: %s %s: %s", e.Method, e.URL, e.Status)
}

// slotError turns the error of a slot request into the package's typed
// errors; others are returned as they are.
func slotError(err error, size int64) error {
	var se *xmpp.StanzaError
	if !errors.As(err, &se) {
		return err
	}
	if max, ok := fileTooLarge(se); ok {
		return &FileTooLargeError{Size: size, Max: max, Err: se}
	}
	switch se.Condition {
	case xmpp.ErrResourceConstraint:
		qe := &QuotaError{Err: se}
		if s := retryAfter(se); s != "" {
			qe.RetryAfter, _ = time.Parse(time.RFC3339, s)
		}
		return qe
	case xmpp.ErrNotAllowed, xmpp.ErrForbidden:
		return fmt.Errorf("%w: %w", ErrNotAllowed, se)
	}
	return err
}
