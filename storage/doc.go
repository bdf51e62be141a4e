// Package storage opens object storage by URL and gives every job one
// portable Bucket type over it: file:// (and plain relative paths, the
// embedded default), mem:// for tests, and s3:// for any S3-compatible store
// through aws-sdk-go-v2.
//
// Keys are validated (no "..", no absolute paths, no "//"), writes become
// visible only when they complete, and WriteIfAbsent is a real conditional
// write on every driver, which is what the dataset format builds its commit
// protocol on.
package storage
