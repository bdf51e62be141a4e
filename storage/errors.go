package storage

import (
	"errors"
	"fmt"
	"io/fs"

	"gocloud.dev/gcerrors"
)

// Portable error kinds; test with errors.Is.
var (
	// ErrNotFound: the key does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists: a conditional write found the key already present with other content.
	ErrExists = errors.New("already exists")
	// ErrDenied: the store refused the credentials or the operation.
	ErrDenied = errors.New("permission denied")
	// ErrBadURL: the URL or its parameters are malformed (a usage error).
	ErrBadURL = errors.New("invalid storage URL")
)

func badURL(raw, format string, args ...any) error {
	return fmt.Errorf("open %s: %s (%w)", raw, fmt.Sprintf(format, args...), ErrBadURL)
}

// Error is the one wrapping every Bucket method applies: the operation, the
// full location (URL + key) and the driver's error.
type Error struct {
	Op  string
	URL string
	Key string
	Err error
}

func (e *Error) Error() string {
	loc := e.URL
	if e.Key != "" {
		loc = joinURL(e.URL, e.Key)
	}
	return fmt.Sprintf("%s %s: %v", e.Op, loc, e.Err)
}

// Unwrap returns the driver error.
func (e *Error) Unwrap() error { return e.Err }

// Is maps the driver's portable error code to this package's sentinels.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return gcerrors.Code(e.Err) == gcerrors.NotFound
	case ErrExists:
		c := gcerrors.Code(e.Err)
		return c == gcerrors.FailedPrecondition || c == gcerrors.AlreadyExists || errors.Is(e.Err, fs.ErrExist)
	case ErrDenied:
		return gcerrors.Code(e.Err) == gcerrors.PermissionDenied
	}
	return false
}

func (b *Bucket) wrap(op, key string, err error) error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	return &Error{Op: op, URL: b.url, Key: key, Err: err}
}

func joinURL(base, key string) string {
	if base == "" || base[len(base)-1] == '/' {
		return base + key
	}
	return base + "/" + key
}
