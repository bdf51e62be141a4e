package storage

import (
	"fmt"
	"strings"
)

// ValidateKey rejects keys that could escape a bucket's root or that the
// S3-compatible servers we support treat inconsistently: empty keys,
// absolute paths, "." or ".." segments, empty segments ("//"), backslashes
// and control characters.
func ValidateKey(key string) error {
	if key == "" {
		return fmt.Errorf("invalid key %q: empty", key)
	}
	if strings.HasPrefix(key, "/") {
		return fmt.Errorf("invalid key %q: absolute", key)
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fmt.Errorf("invalid key %q: contains %q", key, r)
		}
	}
	for _, seg := range strings.Split(key, "/") {
		switch seg {
		case "":
			return fmt.Errorf("invalid key %q: empty path segment", key)
		case ".", "..":
			return fmt.Errorf("invalid key %q: %q segment", key, seg)
		}
	}
	return nil
}

// Join joins key segments with "/", dropping empty ones.
func Join(parts ...string) string {
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		p = strings.Trim(p, "/")
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "/")
}
