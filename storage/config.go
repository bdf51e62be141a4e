package storage

import (
	"errors"
	"fmt"
	"time"
)

// Secret is a string that never prints: fmt, JSON and YAML all render it as
// "REDACTED" (or empty when unset). Use Reveal to get the value.
type Secret string

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "REDACTED"
}

// GoString implements fmt.GoStringer so %#v redacts too.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// MarshalText implements encoding.TextMarshaler (used by JSON and YAML).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Config holds the storage settings shared by every job.
type Config struct {
	S3 S3Config `mapstructure:"s3" yaml:"s3" json:"s3"`
}

// S3Config configures s3:// URLs. Each field may also be given as a URL query
// parameter (endpoint, region, use_path_style, profile), which wins over the
// config. Empty credentials mean the default AWS chain (AWS_ACCESS_KEY_ID,
// AWS_PROFILE, instance roles, ...).
type S3Config struct {
	// Endpoint is the base URL of a non-AWS store, e.g. http://127.0.0.1:7070.
	// Empty means AWS (or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL).
	Endpoint string `mapstructure:"endpoint" yaml:"endpoint" json:"endpoint"`
	// Region defaults to us-east-1 when neither this nor AWS_REGION is set.
	Region string `mapstructure:"region" yaml:"region" json:"region"`
	// PathStyle forces path-style addressing; it is implied by a custom endpoint.
	PathStyle bool `mapstructure:"path_style" yaml:"path_style" json:"path_style"`
	// Profile selects a shared-config profile.
	Profile string `mapstructure:"profile" yaml:"profile" json:"profile"`
	// AccessKeyID and SecretAccessKey are static credentials.
	AccessKeyID     string `mapstructure:"access_key_id" yaml:"access_key_id" json:"access_key_id"`
	SecretAccessKey Secret `mapstructure:"secret_access_key" yaml:"secret_access_key" json:"secret_access_key"`
	SessionToken    Secret `mapstructure:"session_token" yaml:"session_token" json:"session_token"`
	// CABundle is a PEM file of extra roots for https endpoints.
	CABundle string `mapstructure:"ca_bundle" yaml:"ca_bundle" json:"ca_bundle"`
	// MaxAttempts is the SDK's retry budget per request.
	MaxAttempts int `mapstructure:"max_attempts" yaml:"max_attempts" json:"max_attempts"`
	// ConnectTimeout bounds dialing; ResponseHeaderTimeout bounds a stalled server.
	ConnectTimeout        time.Duration `mapstructure:"connect_timeout" yaml:"connect_timeout" json:"connect_timeout"`
	ResponseHeaderTimeout time.Duration `mapstructure:"response_header_timeout" yaml:"response_header_timeout" json:"response_header_timeout"`
}

// DefaultConfig returns the defaults as a value.
func DefaultConfig() Config {
	return Config{S3: S3Config{
		MaxAttempts:           8,
		ConnectTimeout:        5 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}}
}

// Validate reports the first invalid field by its config key.
func (c Config) Validate() error {
	s := c.S3
	switch {
	case s.MaxAttempts < 1:
		return fmt.Errorf("storage.s3.max_attempts: must be >= 1, got %d", s.MaxAttempts)
	case s.ConnectTimeout <= 0:
		return errors.New("storage.s3.connect_timeout: must be > 0")
	case s.ResponseHeaderTimeout <= 0:
		return errors.New("storage.s3.response_header_timeout: must be > 0")
	case (s.AccessKeyID == "") != (s.SecretAccessKey == ""):
		return errors.New("storage.s3.access_key_id and storage.s3.secret_access_key: set both or neither")
	}
	return nil
}
