// Package argotest checks `stackae argo render` against Argo Workflows' own
// Go API types (decoded strictly) and runs the rendered DAG's commands as
// plain processes against a local S3 server. It is a module of its own so
// that Argo's and Kubernetes' dependencies stay out of stackae's.
package argotest
